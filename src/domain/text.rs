//! Bounding text that comes from outside. Error messages, failure reasons and details often quote
//! what a client sent (a CSV header, a URL, a parameter name); quoting it whole let one request
//! make a 40 MB error body, and kept it in memory as an idempotent answer. Everything quoted goes
//! through [`clip`].

/// At most `max` characters of `s`; a longer text ends with how much was left out.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((cut, _)) => {
            let rest = s[cut..].chars().count();
            format!("{}… ({rest} more characters)", &s[..cut])
        }
    }
}

/// The first `max` items of a list joined with ", ", and how many were left out.
pub fn clip_list<S: AsRef<str>>(items: &[S], max: usize) -> String {
    let shown: Vec<&str> = items.iter().take(max).map(AsRef::as_ref).collect();
    let mut out = shown.join(", ");
    if items.len() > max {
        out.push_str(&format!(" … and {} more", items.len() - max));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_and_lists_are_cut_with_a_count() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("abcdef", 3), "abc… (3 more characters)");
        assert_eq!(clip("ééééé", 2), "éé… (3 more characters)");
        assert_eq!(clip_list(&["a", "b", "c"], 5), "a, b, c");
        assert_eq!(clip_list(&["a", "b", "c"], 2), "a, b … and 1 more");
    }
}
