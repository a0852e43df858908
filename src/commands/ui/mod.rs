//! `moth ui`: a full-screen explorer of a broker's topics. One session (the same receiving loop
//! `moth sub` runs, so reconnects, acknowledgements and signals behave alike) feeds a model of
//! the topic tree; the terminal's keys and mouse drive the view, and what they ask to publish
//! goes out on that same session.

mod app;
mod draw;
mod model;
mod payload;

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use ratatui::crossterm::execute;
use tokio::sync::{mpsc, watch};

use self::app::{Action, App, Link};
use self::model::{Limits, Model};
use super::receive::{Plan, watch as receive};
use crate::cli::UiArgs;
use crate::connect::{Message, Protocol};
use crate::exit::{Failure, Result};
use crate::output::Format;
use crate::report;

/// Payload bytes kept in all topics' histories together.
const HISTORY_BYTES: usize = 64 << 20;
/// Messages redraw the view at most this often; keys redraw it at once.
const FRAME: Duration = Duration::from_millis(50);
/// A frame's drawing time times this is the least time before messages redraw it again.
const DRAW_SHARE: u32 = 10;
/// How often the key reader looks up to see whether the view is gone.
const KEY_POLL: Duration = Duration::from_millis(100);

pub async fn run(args: UiArgs) -> Result<()> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(Failure::usage(
            "moth ui needs a terminal on stdin and stdout: use moth sub -t '#' for a stream, \
             or moth ls for the topic tree once",
        ));
    }
    if args.conn.debug {
        return Err(Failure::usage(
            "-d writes packets over the view: use moth sub -d to see them",
        ));
    }
    let spec = super::connection(&args.conn, Protocol::V311)?;
    let mut filters = args.topics.clone();
    filters.extend(spec.url_topic.clone());
    if filters.is_empty() {
        filters.push("#".into());
    }
    super::validate_filters(&[("-t", &filters), ("-T", &args.filter_out)])?;
    report::set_quiet(args.conn.quiet);
    for warning in &spec.warnings {
        report::warning(warning);
    }

    let model = Rc::new(RefCell::new(Model::new(Limits {
        per_topic: args.history,
        entries: args.history_total,
        bytes: HISTORY_BYTES,
    })));
    let (publish, outgoing) = mpsc::unbounded_channel();
    let (stop, stop_asked) = watch::channel(false);
    let (link, linked) = watch::channel(false);
    let plan = Plan {
        filters,
        hide: args.filter_out.clone(),
        qos: args.qos,
        outgoing: Some(outgoing),
        stop: Some(stop_asked),
        link: Some(link),
        ..Plan::default()
    };
    let (said, heard) = std::sync::mpsc::channel();
    report::divert(Some(said));
    let screen = Screen::open();
    let outcome = match screen {
        Ok(mut screen) => {
            let mut feed = Feed(model.clone());
            let watching = receive(&spec, plan, &mut feed);
            let mut app = App::new(spec.endpoint.to_string());
            let talk = Talk {
                publish: &publish,
                stop: &stop,
                heard: &heard,
                linked,
            };
            explore(&mut screen, watching, &model, &mut app, talk).await
        }
        Err(err) => Err(Failure::usage(format!(
            "cannot take over the terminal: {}",
            report::io_reason(&err)
        ))),
    };
    // The terminal is restored (Screen's drop): what is still to say goes to stderr again.
    report::divert(None);
    for said in heard.try_iter().filter(|s| s.warning) {
        report::warning(&said.text);
    }
    outcome
}

/// Draw, read keys, and pass on what they ask for until the receiving loop ends.
async fn explore(
    screen: &mut Screen,
    watching: impl Future<Output = Result<super::receive::Watched>>,
    model: &RefCell<Model>,
    app: &mut App,
    mut talk: Talk<'_>,
) -> Result<()> {
    let mut watching = std::pin::pin!(watching);
    let mut keys = screen.events();
    let mut tick = tokio::time::interval(FRAME);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut drawn_second = u64::MAX;
    let mut next_draw = Instant::now();
    let mut asked = true;
    loop {
        tokio::select! {
            watched = &mut watching => return watched.map(|_| ()),
            event = keys.recv() => match event {
                Some(Ok(event)) => {
                    let action = {
                        let model = model.borrow();
                        let rows = rows(app, &model);
                        match event {
                            Event::Key(key) => app.key(key, &model, &rows),
                            Event::Mouse(mouse) => {
                                app.mouse(mouse, &rows);
                                Action::None
                            }
                            _ => Action::None,
                        }
                    };
                    match action {
                        Action::None => {}
                        Action::Quit => {
                            let _ = talk.stop.send(true);
                        }
                        Action::Publish(message) => {
                            if message.retain {
                                let mut model = model.borrow_mut();
                                if let Some(node) = model.find(&message.topic) {
                                    model.mark_retained(node, !message.payload.is_empty());
                                }
                            }
                            let _ = talk.publish.send(message);
                        }
                        Action::Copy(text) => screen.copy(&text),
                    }
                    asked = true;
                }
                Some(Err(err)) => {
                    return Err(Failure::usage(format!(
                        "cannot read the terminal: {}",
                        report::io_reason(&err)
                    )));
                }
                None => {}
            },
            _ = tick.tick() => {}
        }
        for said in talk.heard.try_iter() {
            app.say(said);
            asked = true;
        }
        if talk.linked.has_changed().unwrap_or(false) {
            let connected = *talk.linked.borrow_and_update();
            app.link = match connected {
                true => Link::Connected,
                false => Link::Reconnecting,
            };
            asked = true;
        }
        let now = Instant::now();
        let mut model = model.borrow_mut();
        // Rates and ages move with the clock even when nothing arrives.
        let second = model.second(now);
        let moved = (model.changed || second != drawn_second) && !app.paused;
        if asked || (moved && now >= next_draw) {
            let rows = rows(app, &model);
            screen.draw(|f| draw::frame(f, app, &model, &rows, now))?;
            model.changed = false;
            drawn_second = second;
            asked = false;
            // A frame that took long (tens of thousands of rows open) waits ten times as long
            // before messages redraw it again, so drawing stays a tenth of a core at most.
            next_draw = now + (now.elapsed() * DRAW_SHARE).max(FRAME);
        }
    }
}

/// What the view says to the receiving loop, and hears from it.
struct Talk<'a> {
    publish: &'a mpsc::UnboundedSender<crate::connect::OutgoingPublish>,
    stop: &'a watch::Sender<bool>,
    heard: &'a std::sync::mpsc::Receiver<report::Said>,
    linked: watch::Receiver<bool>,
}

fn rows(app: &App, model: &Model) -> Vec<model::Row> {
    model.rows(&app.expanded, app.sort, &app.filter, Instant::now())
}

/// Hands each received message to the model instead of stdout.
struct Feed(Rc<RefCell<Model>>);

impl Format for Feed {
    fn write(&mut self, _out: &mut dyn Write, message: &Message) -> std::io::Result<()> {
        self.0.borrow_mut().add(message, Instant::now());
        Ok(())
    }
}

/// The terminal while the view owns it: raw, on the alternate screen, reporting the mouse.
/// Dropping it gives the terminal back as it was, whatever ended the view.
struct Screen {
    terminal: DefaultTerminal,
    reading: Arc<AtomicBool>,
}

impl Screen {
    fn open() -> std::io::Result<Screen> {
        let terminal = ratatui::try_init()?;
        let screen = Screen {
            terminal,
            reading: Arc::new(AtomicBool::new(true)),
        };
        execute!(std::io::stdout(), EnableMouseCapture)?;
        Ok(screen)
    }

    /// Terminal events, read on a thread of their own (crossterm's reads block).
    fn events(&self) -> mpsc::UnboundedReceiver<std::io::Result<Event>> {
        let (tx, rx) = mpsc::unbounded_channel();
        let reading = self.reading.clone();
        let spawned = std::thread::Builder::new()
            .name("moth-ui-keys".into())
            .spawn(move || {
                while reading.load(Ordering::Relaxed) {
                    let next = match event::poll(KEY_POLL) {
                        Ok(false) => continue,
                        Ok(true) => event::read(),
                        Err(err) => Err(err),
                    };
                    let failed = next.is_err();
                    if tx.send(next).is_err() || failed {
                        return;
                    }
                }
            });
        if let Err(err) = spawned {
            let (tx, rx) = mpsc::unbounded_channel();
            let _ = tx.send(Err(err));
            return rx;
        }
        rx
    }

    fn draw(&mut self, frame: impl FnOnce(&mut ratatui::Frame)) -> Result<()> {
        match self.terminal.draw(frame) {
            Ok(_) => Ok(()),
            Err(err) => Err(Failure::usage(format!(
                "cannot draw on the terminal: {}",
                report::io_reason(&err)
            ))),
        }
    }

    /// Put `text` on the clipboard of the terminal (OSC 52), wherever it runs, even over ssh.
    fn copy(&mut self, text: &str) {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(text);
        let mut out = std::io::stdout();
        let _ = write!(out, "\x1b]52;c;{encoded}\x07");
        let _ = out.flush();
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        self.reading.store(false, Ordering::Relaxed);
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
        let _ = self.terminal.show_cursor();
        ratatui::restore();
    }
}
