//! Message-key filters in the NATS subject style.
//!
//! A key is a list of tokens separated by `.` (`orders.eu.paris`). A filter
//! is a list of tokens too, where `*` matches exactly one token and `>`
//! (only as the last token) matches one or more remaining tokens. Any other
//! token must equal the key's token. A message without a key never matches
//! a filter.

/// One token of a parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(Box<str>),
    /// `*`: exactly one token.
    Star,
    /// `>`: one or more tokens; always last.
    Tail,
}

/// A parsed key filter (`orders.*`, `orders.>`, `orders.eu`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyFilter {
    pattern: Box<str>,
    tokens: Vec<Token>,
}

impl KeyFilter {
    /// Parses `pattern`, rejecting empty tokens and a `>` that is not last
    /// (the error is the offending pattern).
    pub(crate) fn parse(pattern: &str) -> Result<Self, String> {
        if pattern.is_empty() {
            return Err(String::new());
        }
        let parts: Vec<&str> = pattern.split('.').collect();
        let mut tokens = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let token = match *part {
                "" => return Err(pattern.to_owned()),
                "*" => Token::Star,
                ">" if i + 1 == parts.len() => Token::Tail,
                ">" => return Err(pattern.to_owned()),
                literal => Token::Literal(literal.into()),
            };
            tokens.push(token);
        }
        Ok(Self { pattern: pattern.into(), tokens })
    }

    /// The pattern as written.
    #[cfg(test)]
    pub(crate) fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether `key` matches; `None` (no key) never matches.
    pub(crate) fn matches(&self, key: Option<&str>) -> bool {
        let Some(key) = key else { return false };
        let mut parts = key.split('.');
        for token in &self.tokens {
            match token {
                Token::Tail => return parts.next().is_some_and(|p| !p.is_empty()),
                Token::Star => match parts.next() {
                    Some(p) if !p.is_empty() => {}
                    _ => return false,
                },
                Token::Literal(lit) => {
                    if parts.next() != Some(&**lit) {
                        return false;
                    }
                }
            }
        }
        parts.next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, key: &str) -> bool {
        KeyFilter::parse(pattern).unwrap().matches(Some(key))
    }

    #[test]
    fn exact_star_and_tail() {
        // A wrong token rule would route messages to the wrong group.
        assert!(m("orders.eu", "orders.eu"));
        assert!(!m("orders.eu", "orders.us"));
        assert!(!m("orders.eu", "orders.eu.paris"));
        assert!(m("orders.*", "orders.eu"));
        assert!(!m("orders.*", "orders"));
        assert!(!m("orders.*", "orders.eu.paris"));
        assert!(m("orders.>", "orders.eu"));
        assert!(m("orders.>", "orders.eu.paris"));
        assert!(!m("orders.>", "orders"));
        assert!(m("*.eu.>", "orders.eu.paris.5"));
        assert!(!m("*.eu.>", "orders.us.paris"));
        assert!(m(">", "a"));
        assert!(!KeyFilter::parse("orders.*").unwrap().matches(None));
    }

    #[test]
    fn invalid_patterns_are_rejected() {
        // Accepting these would make filters silently match nothing.
        assert!(KeyFilter::parse("").is_err());
        assert!(KeyFilter::parse("a..b").is_err());
        assert!(KeyFilter::parse("a.>.b").is_err());
        assert_eq!(KeyFilter::parse("a.*").unwrap().pattern(), "a.*");
    }
}
