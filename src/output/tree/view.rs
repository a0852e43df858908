//! The topics counted so far as the rows a person reads: levels nested under their parents,
//! siblings in the order asked for, and everything below `--depth` folded into one row per
//! subtree. Both printers (text and JSON) and a live redraw read these rows.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::Stats;

/// How siblings are ordered: by name, or busiest (largest) first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SortBy {
    #[default]
    Name,
    Rate,
    Messages,
    Bytes,
}

/// What a row counts: one topic's messages, or a folded subtree's sums.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    pub messages: u64,
    /// Messages sent live, not from the retained store: what the rate counts.
    pub live: u64,
    /// The last payload's size (summed over a folded subtree).
    pub bytes: usize,
    pub retained: bool,
    /// Topics counted in this row (1 for a topic; more for a folded subtree).
    pub topics: usize,
    /// The last payload, for a topic; none for a folded subtree.
    pub last: Option<Bytes>,
}

/// One line of the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 0 for a top-level name.
    pub depth: usize,
    /// This level's name.
    pub name: String,
    /// The whole topic (`a/b`), or the filter of a folded subtree (`a/b/#`).
    pub topic: String,
    /// None for a level that is no topic itself (only a parent).
    pub totals: Option<Totals>,
    /// Everything below this level is summed into `totals`.
    pub folded: bool,
}

#[derive(Default)]
struct Node<'a> {
    own: Option<&'a Stats>,
    children: BTreeMap<&'a str, Node<'a>>,
}

impl Node<'_> {
    /// This node's topic and every topic below it, summed.
    fn sum(&self) -> Totals {
        let mut totals = self.own.map(Stats::totals).unwrap_or_default();
        for child in self.children.values() {
            let below = child.sum();
            totals.messages += below.messages;
            totals.live += below.live;
            totals.bytes += below.bytes;
            totals.retained |= below.retained;
            totals.topics += below.topics;
            // One topic in all: its last payload is the subtree's.
            totals.last = match totals.topics == below.topics {
                true => below.last,
                false => None,
            };
        }
        totals
    }
}

/// The rows of `topics` (by levels), siblings ordered by `sort`, and nothing deeper than
/// `depth` levels: a deeper subtree becomes one row for its top.
pub fn rows(topics: &BTreeMap<Vec<String>, Stats>, sort: SortBy, depth: Option<usize>) -> Vec<Row> {
    let mut root = Node::default();
    for (levels, stats) in topics {
        let mut node = &mut root;
        for level in levels {
            node = node.children.entry(level.as_str()).or_default();
        }
        node.own = Some(stats);
    }
    let mut out = Vec::new();
    walk(&root, &mut Vec::new(), sort, depth, &mut out);
    out
}

fn walk<'a>(
    node: &Node<'a>,
    path: &mut Vec<&'a str>,
    sort: SortBy,
    depth: Option<usize>,
    out: &mut Vec<Row>,
) {
    let mut children: Vec<(&&str, &Node<'_>, Totals)> = node
        .children
        .iter()
        .map(|(name, child)| (name, child, child.sum()))
        .collect();
    // Name order is the map's; the others put the busiest (largest) first, ties by name.
    match sort {
        SortBy::Name => {}
        SortBy::Rate => children.sort_by_key(|c| std::cmp::Reverse(c.2.live)),
        SortBy::Messages => children.sort_by_key(|c| std::cmp::Reverse(c.2.messages)),
        SortBy::Bytes => children.sort_by_key(|c| std::cmp::Reverse(c.2.bytes)),
    }
    for (name, child, sum) in children {
        path.push(name);
        let topic = path.join("/");
        let fold = depth.is_some_and(|d| path.len() >= d) && !child.children.is_empty();
        let row = |totals, topic, folded| Row {
            depth: path.len() - 1,
            name: name.to_string(),
            topic,
            totals,
            folded,
        };
        if fold {
            out.push(row(Some(sum), format!("{topic}/#"), true));
        } else {
            out.push(row(child.own.map(Stats::totals), topic, false));
            walk(child, path, sort, depth, out);
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(messages: u64, live: u64, last: &'static [u8]) -> Stats {
        Stats {
            messages,
            live,
            retained: messages > live,
            last: Bytes::from_static(last),
        }
    }

    fn topics() -> BTreeMap<Vec<String>, Stats> {
        [
            ("a/x", stats(1, 1, b"1")),
            ("a/y/deep", stats(5, 5, b"22")),
            ("b", stats(9, 8, b"333")),
            ("a", stats(2, 1, b"")),
        ]
        .into_iter()
        .map(|(t, s)| (t.split('/').map(String::from).collect(), s))
        .collect()
    }

    fn shown(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| {
                let counts = r
                    .totals
                    .as_ref()
                    .map(|t| format!(" {}/{}/{}b/{}t", t.messages, t.live, t.bytes, t.topics))
                    .unwrap_or_default();
                format!("{}{}{counts}", "  ".repeat(r.depth), r.topic)
            })
            .collect()
    }

    #[test]
    fn by_name_every_level_in_order() {
        assert_eq!(
            shown(&rows(&topics(), SortBy::Name, None)),
            [
                "a 2/1/0b/1t",
                "  a/x 1/1/1b/1t",
                "  a/y",
                "    a/y/deep 5/5/2b/1t",
                "b 9/8/3b/1t",
            ]
        );
    }

    #[test]
    fn busiest_subtree_first_with_sums() {
        // a's subtree: 8 messages, 7 live; b: 9 and 8.
        assert_eq!(
            shown(&rows(&topics(), SortBy::Rate, None))[0],
            "b 9/8/3b/1t"
        );
        assert_eq!(
            shown(&rows(&topics(), SortBy::Messages, Some(1))),
            ["b 9/8/3b/1t", "a/# 8/7/3b/3t"]
        );
    }

    #[test]
    fn depth_folds_what_is_below() {
        let rows = rows(&topics(), SortBy::Name, Some(2));
        assert_eq!(
            shown(&rows),
            [
                "a 2/1/0b/1t",
                "  a/x 1/1/1b/1t",
                "  a/y/# 5/5/2b/1t",
                "b 9/8/3b/1t"
            ]
        );
        assert!(rows[2].folded);
        // A folded subtree of one topic keeps its last payload; of several, none.
        assert_eq!(
            rows[2].totals.as_ref().unwrap().last.as_deref(),
            Some(&b"22"[..])
        );
    }
}
