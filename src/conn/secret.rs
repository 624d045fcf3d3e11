//! A password held in memory. Owns the one rule that a password never reaches a log, an error
//! message or the screen: its `Debug` and `Display` print `********`. It must not offer any
//! formatting that reveals the value; code that needs the text calls [`Secret::expose`] on purpose.

use std::fmt;

/// A secret string (a password). Formatting it prints `********`, never the value.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for handing to the driver. Never format the result.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is the empty string (libpq treats an empty password as none).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), "********");
        assert_eq!(format!("{s:?}"), "********");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(********)");
        assert_eq!(s.expose(), "hunter2");
    }
}
