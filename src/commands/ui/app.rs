//! The explorer's state apart from the broker's: what is selected and open, the order, the
//! filter, the mode (browsing, typing a filter, a publish form, a confirmation, the keys), and
//! what a key or a click asks for. Plain data: the tests drive it without a terminal.

use std::collections::{HashSet, VecDeque};

use bytes::Bytes;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;

use super::model::{Model, Row, Sort};
use crate::message::OutgoingPublish;
use crate::report::Said;

/// What the user is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Browse,
    /// Typing a filter (shown as it is typed).
    Filter,
    Publish(Form),
    /// Clearing this topic's retained message, once confirmed.
    Confirm(String),
    Help,
}

/// The publish form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub topic: String,
    pub payload: String,
    pub qos: u8,
    pub retain: bool,
    /// Typing goes to the topic rather than the payload.
    pub on_topic: bool,
}

impl Form {
    fn field(&mut self) -> &mut String {
        match self.on_topic {
            true => &mut self.topic,
            false => &mut self.payload,
        }
    }
}

/// The session, as the status line shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Connecting,
    Connected,
    /// The connection dropped; the session is connecting again.
    Reconnecting,
}

/// What a key asks of the program.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    Quit,
    Publish(OutgoingPublish),
    /// Put this text on the terminal's clipboard (OSC 52).
    Copy(String),
}

pub struct App {
    pub selected: Option<usize>,
    pub expanded: HashSet<usize>,
    pub sort: Sort,
    pub filter: String,
    pub mode: Mode,
    pub paused: bool,
    /// Which numeric field of the selected topic's payloads the chart plots.
    pub chart_field: usize,
    /// The last few things said (reconnects, publish outcomes, copies).
    pub status: VecDeque<Said>,
    /// First row shown, and how many fit: set by the last drawing.
    pub offset: usize,
    pub tree_area: Rect,
    /// The broker, as the status line names it.
    pub broker: String,
    pub link: Link,
}

/// Rows a page key moves.
const PAGE_MIN: usize = 1;

impl App {
    pub fn new(broker: String) -> App {
        App {
            selected: None,
            expanded: HashSet::new(),
            sort: Sort::Name,
            filter: String::new(),
            mode: Mode::Browse,
            paused: false,
            chart_field: 0,
            status: VecDeque::new(),
            offset: 0,
            tree_area: Rect::default(),
            broker,
            link: Link::Connecting,
        }
    }

    pub fn say(&mut self, said: Said) {
        self.status.push_back(said);
        while self.status.len() > 3 {
            self.status.pop_front();
        }
    }

    fn note(&mut self, text: String) {
        self.say(Said {
            warning: false,
            text,
        });
    }

    /// The selected row's index in `rows` (the first row when nothing is selected).
    fn position(&self, rows: &[Row]) -> Option<usize> {
        match self.selected {
            Some(node) => rows.iter().position(|r| r.node == node).or(Some(0)),
            None => (!rows.is_empty()).then_some(0),
        }
    }

    fn select(&mut self, rows: &[Row], at: usize) {
        if let Some(row) = rows.get(at.min(rows.len().saturating_sub(1))) {
            self.selected = Some(row.node);
            self.chart_field = 0;
        }
    }

    pub fn key(&mut self, key: KeyEvent, model: &Model, rows: &[Row]) -> Action {
        if key.kind == KeyEventKind::Release {
            return Action::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        match self.mode.clone() {
            Mode::Browse => self.browse(key, model, rows),
            Mode::Filter => {
                match key.code {
                    KeyCode::Enter => self.mode = Mode::Browse,
                    KeyCode::Esc => {
                        self.filter.clear();
                        self.mode = Mode::Browse;
                    }
                    KeyCode::Backspace => {
                        self.filter.pop();
                    }
                    KeyCode::Char(c) => self.filter.push(c),
                    _ => {}
                }
                Action::None
            }
            Mode::Publish(mut form) => {
                match key.code {
                    KeyCode::Esc => {
                        self.mode = Mode::Browse;
                        return Action::None;
                    }
                    KeyCode::Enter => {
                        self.mode = Mode::Browse;
                        return self.publish(form);
                    }
                    KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
                        form.on_topic = !form.on_topic;
                    }
                    KeyCode::Char('q') if ctrl => form.qos = (form.qos + 1) % 3,
                    KeyCode::Char('r') if ctrl => form.retain = !form.retain,
                    KeyCode::Char('u') if ctrl => form.field().clear(),
                    KeyCode::Backspace => {
                        form.field().pop();
                    }
                    KeyCode::Char(c) if !ctrl => form.field().push(c),
                    _ => {}
                }
                self.mode = Mode::Publish(form);
                Action::None
            }
            Mode::Confirm(topic) => {
                self.mode = Mode::Browse;
                match key.code {
                    KeyCode::Char('y') | KeyCode::Char('Y') => Action::Publish(OutgoingPublish {
                        topic,
                        qos: 1,
                        retain: true,
                        payload: Bytes::new(),
                        properties: None,
                    }),
                    _ => Action::None,
                }
            }
            Mode::Help => {
                self.mode = Mode::Browse;
                Action::None
            }
        }
    }

    fn browse(&mut self, key: KeyEvent, model: &Model, rows: &[Row]) -> Action {
        let at = self.position(rows).unwrap_or(0);
        let page = (self.tree_area.height as usize)
            .saturating_sub(2)
            .max(PAGE_MIN);
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => return Action::Quit,
            KeyCode::Down | KeyCode::Char('j') => self.select(rows, at + 1),
            KeyCode::Up | KeyCode::Char('k') => self.select(rows, at.saturating_sub(1)),
            KeyCode::PageDown => self.select(rows, at + page),
            KeyCode::PageUp => self.select(rows, at.saturating_sub(page)),
            KeyCode::Home | KeyCode::Char('g') => self.select(rows, 0),
            KeyCode::End | KeyCode::Char('G') => self.select(rows, rows.len()),
            KeyCode::Right | KeyCode::Char('l') | KeyCode::Enter | KeyCode::Char(' ') => {
                if let Some(row) = rows.get(at) {
                    self.selected = Some(row.node);
                    match (row.expandable, row.expanded) {
                        (true, false) => {
                            self.expanded.insert(row.node);
                        }
                        (true, true) => self.select(rows, at + 1),
                        _ => {}
                    }
                }
            }
            KeyCode::Left | KeyCode::Char('h') => {
                if let Some(row) = rows.get(at) {
                    if row.expanded {
                        self.expanded.remove(&row.node);
                    } else if let Some(parent) = model.nodes[row.node].parent.filter(|&p| p != 0) {
                        self.selected = Some(parent);
                    }
                }
            }
            KeyCode::Char('s') => {
                self.sort = match self.sort {
                    Sort::Name => Sort::Rate,
                    Sort::Rate => Sort::Name,
                };
            }
            KeyCode::Char('/') => self.mode = Mode::Filter,
            KeyCode::Char('f') => self.paused = !self.paused,
            KeyCode::Char('?') => self.mode = Mode::Help,
            KeyCode::Char('n') => self.chart_field += 1,
            KeyCode::Char('p') => {
                if let Some(node) = self.selected.or(rows.get(at).map(|r| r.node)) {
                    let last = model.nodes[node].last();
                    let payload = last
                        .and_then(|e| std::str::from_utf8(&e.payload).ok())
                        .filter(|text| !text.contains(['\n', '\r']))
                        .unwrap_or_default()
                        .to_string();
                    self.mode = Mode::Publish(Form {
                        topic: model.topic(node),
                        payload,
                        qos: 0,
                        retain: false,
                        on_topic: false,
                    });
                }
            }
            KeyCode::Char('d') => match self.selected {
                Some(node) if model.nodes[node].retained => {
                    self.mode = Mode::Confirm(model.topic(node));
                }
                Some(_) => self.note("this topic has no retained message to clear".into()),
                None => {}
            },
            KeyCode::Char('c') => {
                if let Some(node) = self.selected {
                    let topic = model.topic(node);
                    self.note(format!("copied the topic {}", crate::report::quote(&topic)));
                    return Action::Copy(topic);
                }
            }
            KeyCode::Char('y') => {
                if let Some(last) = self.selected.and_then(|n| model.nodes[n].last()) {
                    let text = String::from_utf8_lossy(&last.payload).into_owned();
                    self.note(format!("copied the payload ({} bytes)", last.payload.len()));
                    return Action::Copy(text);
                }
            }
            _ => {}
        }
        Action::None
    }

    /// The form as a message to publish, checked as `moth pub` checks one.
    fn publish(&mut self, form: Form) -> Action {
        let size =
            crate::limits::check_publish(form.topic.len(), form.qos, None, form.payload.len());
        if let Err(why) = crate::topic::validate_topic(&form.topic).and(size) {
            self.say(Said {
                warning: true,
                text: format!("not published: {why}"),
            });
            return Action::None;
        }
        Action::Publish(OutgoingPublish {
            topic: form.topic,
            qos: form.qos,
            retain: form.retain,
            payload: Bytes::from(form.payload.into_bytes()),
            properties: None,
        })
    }

    /// The wheel moves the selection; a click selects the row under it.
    pub fn mouse(&mut self, mouse: MouseEvent, rows: &[Row]) {
        let at = self.position(rows).unwrap_or(0);
        match mouse.kind {
            MouseEventKind::ScrollDown => self.select(rows, at + 1),
            MouseEventKind::ScrollUp => self.select(rows, at.saturating_sub(1)),
            MouseEventKind::Down(MouseButton::Left) => {
                let area = self.tree_area;
                let inside = mouse.column >= area.x
                    && mouse.column < area.x + area.width
                    && mouse.row > area.y
                    && mouse.row + 1 < area.y + area.height;
                if inside {
                    let row = self.offset + (mouse.row - area.y - 1) as usize;
                    if row < rows.len() {
                        self.select(rows, row);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use ratatui::crossterm::event::KeyEventState;

    use super::super::model::{Limits, Model};
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }
    }

    fn model() -> Model {
        let mut m = Model::new(Limits {
            per_topic: 10,
            entries: 100,
            bytes: 1 << 20,
        });
        let now = Instant::now();
        for (topic, payload, retain) in [("a/x", "1", true), ("a/y", "2", false), ("b", "3", true)]
        {
            m.add(
                &crate::message::Message::sample(topic, payload.as_bytes(), retain),
                now,
            );
        }
        m
    }

    fn rows(app: &App, m: &Model) -> Vec<Row> {
        m.rows(&app.expanded, app.sort, &app.filter, Instant::now())
    }

    #[test]
    fn keys_move_open_and_close() {
        let m = model();
        let mut app = App::new("test".into());
        app.key(press(KeyCode::Enter), &m, &rows(&app, &m));
        assert_eq!(app.selected, m.find("a"));
        assert!(app.expanded.contains(&m.find("a").unwrap()));
        app.key(press(KeyCode::Char('j')), &m, &rows(&app, &m));
        assert_eq!(app.selected, m.find("a/x"));
        // Left on a leaf goes to its parent; again, closes it.
        app.key(press(KeyCode::Left), &m, &rows(&app, &m));
        assert_eq!(app.selected, m.find("a"));
        app.key(press(KeyCode::Left), &m, &rows(&app, &m));
        assert!(app.expanded.is_empty());
        app.key(press(KeyCode::End), &m, &rows(&app, &m));
        assert_eq!(app.selected, m.find("b"));
        assert_eq!(
            app.key(press(KeyCode::Char('q')), &m, &rows(&app, &m)),
            Action::Quit
        );
    }

    #[test]
    fn publishing_and_clearing_from_the_tree() {
        let m = model();
        let mut app = App::new("test".into());
        app.selected = m.find("b");
        app.key(press(KeyCode::Char('p')), &m, &rows(&app, &m));
        assert!(matches!(&app.mode, Mode::Publish(f) if f.topic == "b" && f.payload == "3"));
        for code in [
            KeyCode::Backspace,
            KeyCode::Char('o'),
            KeyCode::Char('k'),
            KeyCode::Tab,
        ] {
            app.key(press(code), &m, &rows(&app, &m));
        }
        // Tab moved to the topic: a level more, QoS 1 and retained.
        for code in [KeyCode::Char('/'), KeyCode::Char('z')] {
            app.key(press(code), &m, &rows(&app, &m));
        }
        for code in [KeyCode::Char('q'), KeyCode::Char('r')] {
            app.key(
                KeyEvent::new(code, KeyModifiers::CONTROL),
                &m,
                &rows(&app, &m),
            );
        }
        let sent = app.key(press(KeyCode::Enter), &m, &rows(&app, &m));
        let Action::Publish(p) = sent else {
            panic!("{sent:?}")
        };
        assert_eq!(
            (p.topic.as_str(), &p.payload[..], p.qos, p.retain),
            ("b/z", &b"ok"[..], 1, true)
        );
        // Clearing asks first; anything but y cancels.
        app.key(press(KeyCode::Char('d')), &m, &rows(&app, &m));
        assert_eq!(app.mode, Mode::Confirm("b".into()));
        assert_eq!(
            app.key(press(KeyCode::Char('n')), &m, &rows(&app, &m)),
            Action::None
        );
        app.key(press(KeyCode::Char('d')), &m, &rows(&app, &m));
        let cleared = app.key(press(KeyCode::Char('y')), &m, &rows(&app, &m));
        assert!(matches!(cleared, Action::Publish(p) if p.retain && p.payload.is_empty()));
        // A topic without a retained message says so.
        app.selected = m.find("a/y");
        app.key(press(KeyCode::Char('d')), &m, &rows(&app, &m));
        assert_eq!(app.mode, Mode::Browse);
        assert!(
            app.status
                .back()
                .unwrap()
                .text
                .contains("no retained message")
        );
    }

    #[test]
    fn the_filter_is_typed_and_cleared() {
        let m = model();
        let mut app = App::new("test".into());
        for code in [KeyCode::Char('/'), KeyCode::Char('y'), KeyCode::Enter] {
            app.key(press(code), &m, &rows(&app, &m));
        }
        assert_eq!(app.filter, "y");
        let shown: Vec<String> = rows(&app, &m).iter().map(|r| m.topic(r.node)).collect();
        assert_eq!(shown, ["a", "a/y"]);
        app.key(press(KeyCode::Char('/')), &m, &rows(&app, &m));
        app.key(press(KeyCode::Esc), &m, &rows(&app, &m));
        assert_eq!(app.filter, "");
    }
}
