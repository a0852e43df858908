//! One frame of the explorer: the topic tree on the left, the selected topic on the right (its
//! last payload, what came with it, its history and a chart of its numbers), the status line at
//! the bottom, and whatever is open over them (the keys, the publish form, a confirmation).

use std::time::{Instant, SystemTime};

use chrono::{DateTime, Local};
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Clear, Dataset, GraphType, Paragraph, Wrap};

use super::app::{App, Link, Mode};
use super::model::{FRESH, Model, Row, Sort};
use super::payload;

pub fn frame(f: &mut Frame, app: &mut App, model: &Model, rows: &[Row], now: Instant) {
    let [main, status] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(3), Constraint::Length(2)])
        .areas(f.area());
    let [tree, detail] = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(45), Constraint::Percentage(55)])
        .areas(main);
    app.tree_area = tree;
    draw_tree(f, app, model, rows, tree, now);
    draw_topic(f, app, model, detail);
    draw_status(f, app, model, status, now);
    match &app.mode {
        Mode::Help => draw_help(f),
        Mode::Publish(form) => {
            let cursor = |on: bool| if on { "▏" } else { "" };
            let text = vec![
                Line::raw(format!("topic   {}{}", form.topic, cursor(form.on_topic))),
                Line::raw(format!(
                    "payload {}{}",
                    form.payload,
                    cursor(!form.on_topic)
                )),
                Line::raw(format!(
                    "QoS {} (Ctrl-Q)   retain {} (Ctrl-R)",
                    form.qos,
                    if form.retain { "yes" } else { "no" }
                )),
                Line::styled(
                    "Tab: topic or payload · Ctrl-U clears it · Enter publishes · Esc cancels",
                    dim(),
                ),
            ];
            popup(f, " Publish ", text, 6);
        }
        Mode::Confirm(topic) => {
            let text = vec![
                Line::raw(format!(
                    "Clear the retained message of {}?",
                    crate::report::quote(topic)
                )),
                Line::styled("y clears it; any other key keeps it", dim()),
            ];
            popup(f, " Clear retained ", text, 4);
        }
        Mode::Browse | Mode::Filter => {}
    }
}

fn draw_tree(f: &mut Frame, app: &mut App, model: &Model, rows: &[Row], area: Rect, now: Instant) {
    let sort = match app.sort {
        Sort::Name => "name",
        Sort::Rate => "rate",
    };
    let title = match app.filter.is_empty() {
        true => format!(" Topics ({}) · sort: {sort} ", model.topics),
        false => format!(" Topics matching {:?} · sort: {sort} ", app.filter),
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let height = inner.height as usize;
    if app.selected.is_none() {
        app.selected = rows.first().map(|r| r.node);
    }
    let at = app
        .selected
        .and_then(|node| rows.iter().position(|r| r.node == node));
    // Keep the selection in view.
    if let Some(at) = at {
        if at < app.offset {
            app.offset = at;
        } else if at >= app.offset + height {
            app.offset = at + 1 - height;
        }
    }
    app.offset = app.offset.min(rows.len().saturating_sub(height));
    let second = model.second(now);
    let width = inner.width as usize;
    let lines: Vec<Line> = rows
        .iter()
        .skip(app.offset)
        .take(height)
        .map(|row| {
            let node = &model.nodes[row.node];
            let marker = match (row.expandable, row.expanded) {
                (true, true) => "▾ ",
                (true, false) => "▸ ",
                _ => "  ",
            };
            let stats = stats(node, second, now, width);
            let name_width = width.saturating_sub(stats.chars().count() + 1);
            let name = format!("{}{marker}{}", "  ".repeat(row.depth), node.name);
            let name = crate::report::cut(&crate::report::escape_controls(&name), name_width);
            let pad = name_width.saturating_sub(name.chars().count());
            let fresh = node
                .changed_at
                .is_some_and(|t| now.duration_since(t) < FRESH);
            let mut style = match (node.is_topic(), fresh) {
                (_, true) => Style::default()
                    .fg(Color::Yellow)
                    .add_modifier(Modifier::BOLD),
                (true, false) => Style::default().fg(Color::Cyan),
                (false, false) => Style::default(),
            };
            if Some(row.node) == app.selected {
                style = style.add_modifier(Modifier::REVERSED);
            }
            Line::from(vec![
                Span::styled(format!("{name}{}", " ".repeat(pad)), style),
                Span::raw(" "),
                Span::styled(stats, dim()),
            ])
        })
        .collect();
    let empty = lines.is_empty();
    f.render_widget(Paragraph::new(lines), inner);
    if empty {
        let waiting = Paragraph::new(Line::styled("waiting for messages…", dim()));
        f.render_widget(waiting, inner);
    }
}

fn draw_topic(f: &mut Frame, app: &App, model: &Model, area: Rect) {
    let Some(node) = app.selected.map(|n| &model.nodes[n]) else {
        let block = Block::default().borders(Borders::ALL).title(" Topic ");
        let text =
            Paragraph::new(Line::styled("select a topic (? for the keys)", dim())).block(block);
        f.render_widget(text, area);
        return;
    };
    let topic = model.topic(app.selected.unwrap_or(0));
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", crate::report::escape_controls(&topic)));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(last) = node.last() else {
        let text = format!(
            "{} message(s) below this level, {} of its topics retained; no message on it",
            node.total, node.retained_below
        );
        let text = Paragraph::new(Line::styled(text, dim())).wrap(Wrap { trim: true });
        f.render_widget(text, inner);
        return;
    };
    let fields = payload::numeric_fields(&last.payload);
    let chart_height = if fields.is_empty() || node.history.len() < 2 {
        0
    } else {
        (inner.height / 3).max(6)
    };
    let history_height = (node.history.len() as u16 + 1).min(inner.height / 4).max(2);
    let mut about = vec![
        format!("QoS {}", last.qos),
        if last.retain { "retained" } else { "live" }.to_string(),
        payload::kind(&last.payload).to_string(),
        format!("{} bytes", last.payload.len()),
        format!("{} message(s)", node.messages),
    ];
    if let Some(at) = node.last_at {
        about.push(format!("{} ago", age(Instant::now(), at)));
    }
    let about = about.join(" · ");
    let properties = last
        .properties
        .as_deref()
        .map(properties_line)
        .unwrap_or_default();
    let meta_height = [&about, &properties]
        .iter()
        .map(|text| text.chars().count().div_ceil(inner.width.max(1) as usize) as u16)
        .sum::<u16>()
        + 1;
    let [meta, body, history, chart] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(meta_height),
            Constraint::Min(3),
            Constraint::Length(history_height),
            Constraint::Length(chart_height),
        ])
        .areas(inner);
    let meta_lines = vec![Line::raw(about), Line::styled(properties, dim())];
    f.render_widget(Paragraph::new(meta_lines).wrap(Wrap { trim: false }), meta);
    f.render_widget(
        Paragraph::new(payload::lines(
            &last.payload,
            body.height as usize,
            body.width as usize,
        )),
        body,
    );
    let entries: Vec<Line> = node
        .history
        .iter()
        .rev()
        .take(history.height as usize)
        .map(|entry| {
            let preview = match std::str::from_utf8(&entry.payload) {
                Ok(text) => crate::report::escape_controls(text),
                Err(_) => format!("{} bytes of binary", entry.payload.len()),
            };
            Line::from(vec![
                Span::styled(clock(entry.at), dim()),
                Span::raw(" "),
                Span::raw(crate::report::cut(&preview, history.width as usize)),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(entries), history);
    if chart_height > 0 {
        let field = &fields[app.chart_field % fields.len()];
        draw_chart(f, node, field, chart);
    }
}

fn draw_chart(f: &mut Frame, node: &super::model::Node, field: &str, area: Rect) {
    let first = node
        .history
        .front()
        .map(|e| e.at)
        .unwrap_or(SystemTime::now());
    let points: Vec<(f64, f64)> = node
        .history
        .iter()
        .filter_map(|e| {
            let t = e.at.duration_since(first).unwrap_or_default().as_secs_f64();
            payload::number(&e.payload, field).map(|v| (t, v))
        })
        .collect();
    if points.len() < 2 {
        return;
    }
    let (low, high) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &(_, v)| {
            (lo.min(v), hi.max(v))
        });
    let span = points.last().map_or(1.0, |p| p.0).max(1e-3);
    let pad = ((high - low) * 0.1).max(1e-9);
    let name = match field {
        "" => "value".to_string(),
        field => field.to_string(),
    };
    let dataset = Dataset::default()
        .marker(symbols::Marker::Braille)
        .graph_type(GraphType::Line)
        .style(Style::default().fg(Color::Yellow))
        .data(&points);
    let title = Line::styled(
        format!(
            "{name}: {} values over {span:.0} s (n: next number)",
            points.len()
        ),
        dim(),
    );
    let chart = Chart::new(vec![dataset])
        .block(Block::default().title(title))
        .x_axis(
            Axis::default()
                .bounds([0.0, span])
                .labels(vec![Line::raw("0 s"), Line::raw(format!("{span:.0} s"))]),
        )
        .y_axis(Axis::default().bounds([low - pad, high + pad]).labels(vec![
            Line::raw(short_number(low)),
            Line::raw(short_number(high)),
        ]));
    f.render_widget(chart, area);
}

fn draw_status(f: &mut Frame, app: &App, model: &Model, area: Rect, now: Instant) {
    let line = match &app.mode {
        Mode::Filter => Line::from(vec![
            Span::styled(" filter: ", Style::default().add_modifier(Modifier::BOLD)),
            Span::raw(format!("{}▏", app.filter)),
            Span::styled("  (Enter keeps it, Esc clears it)", dim()),
        ]),
        _ => {
            let second = model.second(now);
            let mut parts = vec![
                format!("{} {}", app.broker, link_word(app.link)),
                format!("{:.0} msg/s", model.nodes[0].rate.per_second(second)),
                format!("{} topics", model.topics),
                format!("{} received", model.received),
            ];
            if model.dropped > 0 {
                parts.push(format!("{} dropped from history", model.dropped));
            }
            if app.paused {
                parts.push("FROZEN (f)".into());
            }
            let style = match app.link {
                Link::Connected => Style::default(),
                Link::Connecting | Link::Reconnecting => Style::default().fg(Color::Yellow),
            };
            let mut spans = vec![Span::styled(format!(" {} ", parts.join(" · ")), style)];
            spans.push(Span::styled(" ? keys", dim()));
            Line::from(spans)
        }
    };
    // What was said last (a reconnect, a publish's outcome) has a line of its own.
    let said = match app.status.back() {
        Some(said) if said.warning => Line::styled(
            format!(" {}", said.text),
            Style::default().fg(Color::Yellow),
        ),
        Some(said) => Line::styled(format!(" {}", said.text), dim()),
        None => Line::raw(""),
    };
    f.render_widget(Paragraph::new(vec![line, said]), area);
}

fn draw_help(f: &mut Frame) {
    let lines: Vec<Line> = crate::cli::help::UI_KEYS
        .iter()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(format!("{keys:<22}"), Style::default().fg(Color::Cyan)),
                Span::raw(*what),
            ])
        })
        .chain([Line::styled("any key closes this", dim())])
        .collect();
    let height = lines.len() as u16 + 2;
    popup(f, " Keys ", lines, height);
}

fn popup(f: &mut Frame, title: &str, lines: Vec<Line>, height: u16) {
    let area = f.area();
    let width = area.width.saturating_sub(4).min(70);
    let rect = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height: height.min(area.height),
    };
    f.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).title(title);
    f.render_widget(Paragraph::new(lines).block(block), rect);
}

fn properties_line(p: &crate::message::Properties) -> String {
    let mut parts = Vec::new();
    if let Some(ct) = &p.content_type {
        parts.push(format!("content-type {ct}"));
    }
    if let Some(rt) = &p.response_topic {
        parts.push(format!("response-topic {rt}"));
    }
    if let Some(e) = p.message_expiry_interval {
        parts.push(format!("expiry {e} s"));
    }
    for (k, v) in &p.user_properties {
        parts.push(format!("{k}={v}"));
    }
    crate::report::escape_controls(&parts.join(" · "))
}

fn link_word(link: Link) -> &'static str {
    match link {
        Link::Connecting => "connecting…",
        Link::Connected => "connected",
        Link::Reconnecting => "reconnecting…",
    }
}

/// A row's numbers, as many as leave its name room: messages, rate, retained, age.
fn stats(node: &super::model::Node, second: u64, now: Instant, width: usize) -> String {
    let retained = if node.retained { "R" } else { " " };
    let age = node.last_at.map(|t| age(now, t)).unwrap_or_default();
    let rate = node.rate.per_second(second);
    match width {
        56.. => format!("{:>7} {rate:>7.1}/s {retained} {age:>4}", node.total),
        40.. => format!("{:>7} {rate:>6.1}/s {retained}", node.total),
        24.. => format!("{:>6} {retained}", node.total),
        _ => retained.to_string(),
    }
}

/// A number in at most four decimals, without trailing zeros.
fn short_number(value: f64) -> String {
    let text = format!("{value:.4}");
    match text.contains('.') {
        true => text.trim_end_matches('0').trim_end_matches('.').to_string(),
        false => text,
    }
}

/// How long ago, in the largest whole unit.
fn age(now: Instant, then: Instant) -> String {
    let secs = now.saturating_duration_since(then).as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        _ => format!("{}h", secs / 3600),
    }
}

fn clock(at: SystemTime) -> String {
    DateTime::<Local>::from(at)
        .format("%H:%M:%S%.3f")
        .to_string()
}

fn dim() -> Style {
    Style::default().add_modifier(Modifier::DIM)
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::super::model::Limits;
    use super::*;

    fn message(topic: &str, payload: &[u8], retain: bool) -> crate::message::Message {
        crate::message::Message {
            qos: 1,
            ..crate::message::Message::sample(topic, payload, retain)
        }
    }

    /// The screen as text, one line per row, trailing spaces cut.
    fn screen(app: &mut App, model: &Model, now: Instant) -> Vec<String> {
        let mut terminal = Terminal::new(TestBackend::new(100, 16)).unwrap();
        let rows = model.rows(&app.expanded, app.sort, &app.filter, now);
        terminal.draw(|f| frame(f, app, model, &rows, now)).unwrap();
        let buffer = terminal.backend().buffer();
        (0..buffer.area.height)
            .map(|y| {
                let line: String = (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect();
                line.trim_end().to_string()
            })
            .collect()
    }

    fn model(now: Instant) -> Model {
        let mut m = Model::new(Limits {
            per_topic: 10,
            entries: 100,
            bytes: 1 << 20,
        });
        m.add(&message("site/a", br#"{"t":20.5,"ok":true}"#, true), now);
        m.add(&message("site/blob", &[0, 1, 2, 0xff], false), now);
        m.add(&message("zone", b"plain text", true), now);
        m
    }

    #[test]
    fn the_tree_and_a_json_topic() {
        let now = Instant::now();
        let m = model(now);
        let mut app = App::new("broker:1883".into());
        app.link = Link::Connected;
        app.expanded.insert(m.find("site").unwrap());
        app.selected = m.find("site/a");
        let shown = screen(&mut app, &m, now);
        let expected = [
            "┌ Topics (3) · sort: name ──────────────────┐┌ site/a ─────────────────────────────────────────────┐",
            "│▾ site                         2    0.0/s  ││QoS 1 · retained · JSON · 20 bytes · 1 message(s) ·  │",
            "│    a                          1    0.0/s R││0s ago                                               │",
            "│    blob                       1    0.0/s  ││                                                     │",
            "│  zone                         1    0.0/s R││{                                                    │",
            "│                                           ││  \"t\": 20.5,                                         │",
            "│                                           ││  \"ok\": true                                         │",
            "│                                           ││}                                                    │",
        ];
        assert_eq!(shown[..8], expected);
        assert_eq!(
            shown[14],
            " broker:1883 connected · 0 msg/s · 3 topics · 3 received  ? keys"
        );
        assert_eq!(shown[15], "");
    }

    #[test]
    fn binary_payloads_are_a_hex_dump_and_the_keys_a_popup() {
        let now = Instant::now();
        let m = model(now);
        let mut app = App::new("broker:1883".into());
        app.expanded.insert(m.find("site").unwrap());
        app.selected = m.find("site/blob");
        let shown = screen(&mut app, &m, now);
        assert_eq!(
            shown[0],
            "┌ Topics (3) · sort: name ──────────────────┐┌ site/blob ──────────────────────────────────────────┐"
        );
        assert_eq!(
            shown[1],
            "│▾ site                         2    0.0/s  ││QoS 1 · live · binary · 4 bytes · 1 message(s) · 0s  │"
        );
        assert_eq!(
            shown[4],
            "│  zone                         1    0.0/s R││00000000  00 01 02 ff              |....|            │"
        );
        app.mode = Mode::Help;
        let shown = screen(&mut app, &m, now);
        let keys: Vec<&String> = shown
            .iter()
            .filter(|l| l.contains("│q Esc Ctrl-C"))
            .collect();
        assert_eq!(keys.len(), 1, "{shown:#?}");
        assert!(
            keys[0].contains("│q Esc Ctrl-C          quit"),
            "{shown:#?}"
        );
    }
}
