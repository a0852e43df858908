//! MQTT topic names and filters: validation (rumqttc checks almost nothing, and a bad topic would
//! surface as an opaque channel error) and wildcard matching for `sub -T`.

const MAX_LEN: usize = 65535;

/// A topic a message is published to: no wildcards.
pub fn validate_topic(topic: &str) -> Result<(), String> {
    common(topic)?;
    if topic.contains(['+', '#']) {
        return Err("a topic to publish to cannot contain the wildcards + or #".into());
    }
    Ok(())
}

/// A subscription filter, including `$share/group/filter`.
pub fn validate_filter(filter: &str) -> Result<(), String> {
    common(filter)?;
    let filter = match filter.strip_prefix("$share/") {
        Some(rest) => {
            let (group, inner) = rest
                .split_once('/')
                .ok_or("a shared subscription needs $share/GROUP/FILTER")?;
            if group.is_empty() || group.contains(['+', '#']) {
                return Err(
                    "the group of a shared subscription must be a non-empty name without + or #"
                        .into(),
                );
            }
            if inner.is_empty() {
                return Err("a shared subscription needs $share/GROUP/FILTER".into());
            }
            inner
        }
        None => filter,
    };
    let mut levels = filter.split('/').peekable();
    while let Some(level) = levels.next() {
        if level.contains('#') && (level != "#" || levels.peek().is_some()) {
            return Err("# must be a whole level and the last one, as in a/#".into());
        }
        if level.contains('+') && level != "+" {
            return Err("+ must be a whole level, as in a/+/b".into());
        }
    }
    Ok(())
}

fn common(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("it is empty".into());
    }
    if text.len() > MAX_LEN {
        return Err("it is longer than 65535 bytes".into());
    }
    match crate::limits::forbidden_char(text) {
        Some(found) => Err(format!(
            "it contains {found}, which MQTT forbids in topics (the broker would close the connection)"
        )),
        None => Ok(()),
    }
}

/// Whether `topic` matches `filter` (a valid filter). As the MQTT spec says, a wildcard in the first
/// level does not match topics starting with `$`.
pub fn matches(filter: &str, topic: &str) -> bool {
    let filter = match filter.strip_prefix("$share/") {
        Some(rest) => rest.split_once('/').map_or(rest, |(_, inner)| inner),
        None => filter,
    };
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut topic_levels = topic.split('/');
    for level in filter.split('/') {
        match level {
            "#" => return true,
            "+" => {
                if topic_levels.next().is_none() {
                    return false;
                }
            }
            exact => {
                if topic_levels.next() != Some(exact) {
                    return false;
                }
            }
        }
    }
    topic_levels.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics() {
        assert!(validate_topic("a/b/c").is_ok());
        assert!(validate_topic("/").is_ok());
        assert!(validate_topic("").is_err());
        assert!(validate_topic("a/+").is_err());
        assert!(validate_topic("a/#").is_err());
        assert!(validate_topic("a\0b").is_err());
        assert_eq!(
            validate_topic("tl/d\r").unwrap_err(),
            "it contains a control character (U+000D), which MQTT forbids in topics (the broker would close the connection)"
        );
    }

    #[test]
    fn filters() {
        for ok in [
            "#",
            "+",
            "a/#",
            "a/+/b",
            "+/+",
            "/",
            "$SYS/#",
            "$share/g/a/#",
        ] {
            assert!(validate_filter(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a#",
            "a/#/b",
            "a/b+",
            "++",
            "$share/g",
            "$share//a",
            "$share/g+/a",
        ] {
            assert!(validate_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching() {
        let cases = [
            ("a/b", "a/b", true),
            ("a/+", "a/b", true),
            ("a/+", "a/b/c", false),
            ("a/#", "a", true),
            ("a/#", "a/b/c", true),
            ("+/+", "/x", true),
            ("#", "$SYS/x", false),
            ("+/x", "$SYS/x", false),
            ("$SYS/#", "$SYS/x", true),
            ("a/b", "a/b/c", false),
            ("a/b/c", "a/b", false),
            ("$share/g/a/+", "a/z", true),
        ];
        for (filter, topic, expected) in cases {
            assert_eq!(matches(filter, topic), expected, "{filter} vs {topic}");
        }
    }
}
