//! Colour themes: the `Theme` of named ratatui styles every pane draws with, the shipped themes
//! (`dark`, `light`, `ansi16`, embedded), user themes in `<config dir>/themes/`, NO_COLOR stripping
//! and terminal colour-support detection.
//!
//! A theme file holds `[styles]`, one table per style (`{ fg, bg, bold, italic, underline, reversed,
//! dim }`), plus an optional top-level `base = "light"` naming the shipped theme a new user theme
//! starts from. Files merge by the rule in `config.rs`. This module only builds styles; it must not
//! draw or decide which pane uses which style.

use std::fmt;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::config::{
    ConfigError, deserialize_user, from_merged, line_of_path, merge_tables, parse_table,
    read_optional, sanitize,
};

/// The shipped themes, in the order `names` lists them.
const SHIPPED: &[(&str, &str)] = &[
    ("dark", include_str!("../themes/dark.toml")),
    ("light", include_str!("../themes/light.toml")),
    ("ansi16", include_str!("../themes/ansi16.toml")),
];

fn shipped(name: &str) -> Option<&'static str> {
    SHIPPED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// Declares the style fields once: `Theme`, the file's `StylesFile`, and the per-style helpers.
macro_rules! theme_styles {
    ($($(#[$meta:meta])* $name:ident,)+) => {
        /// Every style pgdeck draws with. Build with [`Theme::load`].
        #[derive(Clone, Debug, PartialEq)]
        pub struct Theme {
            $($(#[$meta])* pub $name: Style,)+
        }

        /// `[styles]` of a theme file; a style left out is `None`.
        #[derive(Debug, Default, Deserialize)]
        #[serde(
            deny_unknown_fields,
            expecting = "a [styles] table of style tables such as base = { fg = 252 }"
        )]
        struct StylesFile {
            $($name: Option<StyleSpec>,)+
        }

        /// The name of every style, as written in theme files.
        pub const STYLE_NAMES: &[&str] = &[$(stringify!($name)),+];

        impl StylesFile {
            fn missing(&self) -> Vec<&'static str> {
                let mut v = Vec::new();
                $(if self.$name.is_none() { v.push(stringify!($name)); })+
                v
            }

            fn into_theme(self) -> Theme {
                Theme { $($name: self.$name.map(|s| s.style()).unwrap_or_default(),)+ }
            }
        }

        impl Theme {
            fn map_styles(self, mut f: impl FnMut(&'static str, Style) -> Style) -> Theme {
                Theme { $($name: f(stringify!($name), self.$name),)+ }
            }

            /// Every style with its name, in declaration order.
            pub fn styles(&self) -> Vec<(&'static str, Style)> {
                vec![$((stringify!($name), self.$name)),+]
            }
        }
    };
}

theme_styles! {
    /// Default text and pane background.
    base,
    /// Border of an unfocused pane.
    border,
    /// Border of the focused pane.
    border_focused,
    /// Title of an unfocused pane.
    title,
    /// Title of the focused pane; also help headings.
    title_focused,
    /// The selected row or item.
    selection,
    /// Secondary text: counts, hints, placeholders.
    muted,
    /// Highlighted text that is neither good nor bad news.
    accent,
    /// The status bar.
    status_bar,
    /// Key names in hints and the help overlay.
    status_key,
    /// Errors.
    error,
    /// Warnings and notices.
    warning,
    /// Success.
    ok,
    /// Informational messages.
    info,
    /// The NULL marker in the results grid.
    null,
    /// Column headers.
    header,
    /// Line and row numbers.
    line_number,
    /// SQL keywords.
    syntax_keyword,
    /// SQL string literals.
    syntax_string,
    /// SQL numbers.
    syntax_number,
    /// SQL comments.
    syntax_comment,
    /// SQL type names.
    syntax_type,
    /// SQL function names.
    syntax_function,
    /// SQL identifiers.
    syntax_identifier,
    /// SQL operators and punctuation.
    syntax_operator,
    /// Session state `active`.
    state_active,
    /// Session state `idle`.
    state_idle,
    /// Session state `idle in transaction` (and aborted).
    state_idle_in_tx,
    /// An active session waiting on a lock.
    state_waiting,
    /// Critical health findings.
    severity_critical,
    /// Warning health findings.
    severity_warning,
    /// Informational health findings.
    severity_info,
    /// Bars and gauges.
    bar,
    /// The busy spinner.
    spinner,
}

/// One style in a theme file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a style table such as { fg = \"red\", bold = true }"
)]
struct StyleSpec {
    fg: Option<ThemeColor>,
    bg: Option<ThemeColor>,
    bold: Option<bool>,
    italic: Option<bool>,
    underline: Option<bool>,
    reversed: Option<bool>,
    dim: Option<bool>,
}

impl StyleSpec {
    fn style(&self) -> Style {
        let mut s = Style::default();
        if let Some(c) = self.fg {
            s = s.fg(c.0);
        }
        if let Some(c) = self.bg {
            s = s.bg(c.0);
        }
        let mods = [
            (self.bold, Modifier::BOLD),
            (self.italic, Modifier::ITALIC),
            (self.underline, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
            (self.dim, Modifier::DIM),
        ];
        for (on, m) in mods {
            if on == Some(true) {
                s = s.add_modifier(m);
            }
        }
        s
    }
}

/// A colour as a theme file writes it; parsed while deserializing so errors carry the value's line.
#[derive(Debug, Clone, Copy)]
struct ThemeColor(Color);

impl<'de> Deserialize<'de> for ThemeColor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ThemeColor;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a colour: a name, an index 0-255 or \"#rrggbb\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ThemeColor, E> {
                parse_color(v).map(ThemeColor).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ThemeColor, E> {
                u8::try_from(v)
                    .map(|i| ThemeColor(Color::Indexed(i)))
                    .map_err(|_| E::custom(format!("colour index {v} is out of range (0-255)")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ThemeColor, E> {
                u8::try_from(v)
                    .map(|i| ThemeColor(Color::Indexed(i)))
                    .map_err(|_| E::custom(format!("colour index {v} is out of range (0-255)")))
            }
        }
        d.deserialize_any(V)
    }
}

/// The colour names theme files accept (case and `_`/`-` ignored; `grey` works too).
pub const COLOR_NAMES: &[&str] = &[
    "black",
    "red",
    "green",
    "yellow",
    "blue",
    "magenta",
    "cyan",
    "gray",
    "darkgray",
    "lightred",
    "lightgreen",
    "lightyellow",
    "lightblue",
    "lightmagenta",
    "lightcyan",
    "white",
    "reset",
];

/// Parse a theme colour: an ANSI name, a 256-colour index (`"238"`), or `#rrggbb`.
pub fn parse_color(s: &str) -> Result<Color, String> {
    let t = s.trim();
    if let Some(hex) = t.strip_prefix('#') {
        if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
            return Ok(Color::Rgb(byte(0), byte(2), byte(4)));
        }
        return Err(format!("\"{s}\" is not a #rrggbb colour"));
    }
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<u8>()
            .map(Color::Indexed)
            .map_err(|_| format!("colour index {t} is out of range (0-255)"));
    }
    let name: String = t
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .collect::<String>()
        .to_ascii_lowercase();
    let c = match name.as_str() {
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        "reset" | "default" => Color::Reset,
        _ => {
            return Err(format!(
                "unknown colour \"{s}\": use a name ({}), an index 0-255 or #rrggbb",
                COLOR_NAMES.join(" ")
            ));
        }
    };
    Ok(c)
}

/// A theme file: optional `base`, then `[styles]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a theme table")]
struct ThemeFile {
    /// The shipped theme a user theme starts from.
    base: Option<String>,
    #[serde(default)]
    styles: StylesFile,
}

/// A name that can be a file in `themes/` without escaping it: no path separators, no leading dot.
pub(crate) fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
}

impl Theme {
    /// The theme called `name`: `<config_dir>/themes/<name>.toml` if it exists (merged over the
    /// shipped theme of that name, or over its `base`, else over `dark`), otherwise the shipped
    /// theme. `None` for `config_dir` looks at shipped themes only.
    pub fn load(name: &str, config_dir: Option<&Path>) -> Result<Theme, ConfigError> {
        if !is_plain_name(name) {
            return Err(ConfigError::InvalidThemeName {
                name: sanitize(name),
            });
        }
        let user_path = config_dir.map(|d| d.join("themes").join(format!("{name}.toml")));
        let user = match &user_path {
            Some(p) => read_optional(p)?,
            None => None,
        };
        match (user, &user_path) {
            (Some(text), Some(p)) => Theme::from_toml_str(name, &text, &p.display().to_string()),
            _ if shipped(name).is_some() => Theme::from_toml_str(name, "", name),
            _ => Err(ConfigError::UnknownTheme {
                name: sanitize(name),
                searched: user_path.map(|p| PathBuf::from(sanitize(&p.display().to_string()))),
                known: Theme::names_in(config_dir),
            }),
        }
    }

    /// The theme `name` with `user` (the text of a user theme file, empty for none) merged over
    /// its base; `origin` names the file in errors.
    pub fn from_toml_str(name: &str, user: &str, origin: &str) -> Result<Theme, ConfigError> {
        let file: ThemeFile = deserialize_user(user, origin)?;
        let base = match file.base.as_deref() {
            Some(b) if shipped(b).is_some() => b,
            Some(b) => {
                return Err(ConfigError::Invalid {
                    file: sanitize(origin),
                    section: None,
                    key: Some("base".into()),
                    message: sanitize(&format!(
                        "unknown base theme \"{b}\" (a theme starts from one of: {})",
                        SHIPPED
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    line: line_of_path(user, &["base"]),
                });
            }
            None if shipped(name).is_some() => name,
            None => "dark",
        };
        let base_origin = format!("built-in themes/{base}.toml");
        let mut merged = parse_table(shipped(base).unwrap_or_default(), &base_origin)?;
        let mut over = parse_table(user, origin)?;
        over.remove("base");
        merge_tables(&mut merged, over);
        let file: ThemeFile = from_merged(merged, origin)?;
        let missing = file.styles.missing();
        if !missing.is_empty() {
            // Only a defective shipped theme can get here: user files merge over a complete one.
            return Err(ConfigError::Invalid {
                file: base_origin,
                section: Some("styles".into()),
                key: None,
                message: format!("missing styles: {}", missing.join(", ")),
                line: None,
            });
        }
        Ok(file.styles.into_theme())
    }

    /// Every theme name available: the shipped ones, then the user's (`themes/*.toml` in
    /// [`config_dir`](crate::config::config_dir), which honours `PGDECK_CONFIG_DIR`), sorted.
    pub fn names() -> Vec<String> {
        Theme::names_in(crate::config::config_dir().as_deref())
    }

    /// Every theme name available with `config_dir` as the config directory: the shipped ones,
    /// then `<config_dir>/themes/*.toml`, sorted. `None` lists the shipped ones only.
    pub fn names_in(config_dir: Option<&Path>) -> Vec<String> {
        let mut names: Vec<String> = SHIPPED.iter().map(|(n, _)| n.to_string()).collect();
        let mut user = Vec::new();
        if let Some(entries) = config_dir.and_then(|d| std::fs::read_dir(d.join("themes")).ok()) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "toml")
                    && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                    && is_plain_name(stem)
                    && !names.iter().any(|n| n == stem)
                {
                    user.push(stem.to_string());
                }
            }
        }
        user.sort();
        user.dedup();
        names.extend(user);
        names
    }

    /// The same theme without colours, for NO_COLOR: every fg and bg becomes the terminal default
    /// (`Color::Reset`), modifiers stay. So that focus and selection stay visible without colour,
    /// the selection and status bar gain REVERSED, and the focused border and title, errors,
    /// critical findings and headers gain BOLD.
    pub fn no_color(self) -> Theme {
        self.map_styles(|name, s| {
            let extra = match name {
                "selection" | "status_bar" => Modifier::REVERSED,
                "border_focused" | "title_focused" | "error" | "severity_critical" | "header" => {
                    Modifier::BOLD
                }
                _ => Modifier::empty(),
            };
            Style {
                fg: Some(Color::Reset),
                bg: Some(Color::Reset),
                ..s
            }
            .add_modifier(extra)
        })
    }

    /// True when a colour needs more than the 16 ANSI colours (an index of 16 or more, or RGB);
    /// such a theme draws garbage on a 16-colour terminal.
    pub fn needs_256(&self) -> bool {
        self.styles().iter().any(|(_, s)| {
            [s.fg, s.bg].into_iter().flatten().any(|c| match c {
                Color::Indexed(i) => i >= 16,
                Color::Rgb(..) => true,
                _ => false,
            })
        })
    }
}

/// How many colours the terminal can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorSupport {
    /// Colours are unwanted (NO_COLOR) or impossible (TERM=dumb).
    NoColor,
    /// The 16 ANSI colours.
    Ansi16,
    /// The 256-colour palette.
    Ansi256,
    /// 24-bit colour.
    TrueColor,
}

/// What the environment says about colour: `NO_COLOR`, `COLORTERM` and `TERM`.
pub fn detect_color_support() -> ColorSupport {
    let var = |k: &str| std::env::var_os(k).map(|v| v.to_string_lossy().into_owned());
    color_support_from(
        var("NO_COLOR").as_deref(),
        var("COLORTERM").as_deref(),
        var("TERM").as_deref(),
    )
}

/// The decision behind [`detect_color_support`], on explicit values so it can be tested:
/// NO_COLOR set and non-empty → none; COLORTERM truecolor/24bit → truecolor; TERM mentioning 256
/// colours (xterm-256color, tmux-256color, screen-256color...) → 256; TERM=dumb → none; a basic
/// TERM (linux, vt100, vt220, xterm, ansi...) with no COLORTERM → 16; anything else → 256, which
/// is what nearly every terminal in use today supports.
pub fn color_support_from(
    no_color: Option<&str>,
    colorterm: Option<&str>,
    term: Option<&str>,
) -> ColorSupport {
    if no_color.is_some_and(|v| !v.is_empty()) {
        return ColorSupport::NoColor;
    }
    let colorterm = colorterm.unwrap_or_default().trim().to_ascii_lowercase();
    if colorterm == "truecolor" || colorterm == "24bit" {
        return ColorSupport::TrueColor;
    }
    let term = term.unwrap_or_default().trim().to_ascii_lowercase();
    if term.contains("256") {
        return ColorSupport::Ansi256;
    }
    if term.ends_with("-direct") {
        return ColorSupport::TrueColor;
    }
    if term == "dumb" {
        return ColorSupport::NoColor;
    }
    const BASIC: &[&str] = &[
        "linux",
        "vt100",
        "vt102",
        "vt220",
        "vt320",
        "xterm",
        "xterm-color",
        "xterm-16color",
        "ansi",
        "cons25",
        "screen",
        "tmux",
    ];
    if colorterm.is_empty() && BASIC.contains(&term.as_str()) {
        return ColorSupport::Ansi16;
    }
    ColorSupport::Ansi256
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("pgdeck-theme-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(d.join("themes")).expect("mkdir");
        d
    }

    fn shipped_file(name: &str) -> ThemeFile {
        let text = shipped(name).expect("shipped");
        toml::from_str(text).expect("shipped theme parses")
    }

    #[test]
    fn shipped_dark_parses_defines_every_style_and_uses_256_colours_only() {
        let file = shipped_file("dark");
        assert!(file.base.is_none());
        assert_eq!(file.styles.missing(), Vec::<&str>::new());
        let t = Theme::load("dark", None).expect("dark");
        assert!(t.needs_256());
        assert!(no_rgb(&t));
    }

    #[test]
    fn shipped_light_parses_defines_every_style_and_uses_256_colours_only() {
        let file = shipped_file("light");
        assert!(file.base.is_none());
        assert_eq!(file.styles.missing(), Vec::<&str>::new());
        let t = Theme::load("light", None).expect("light");
        assert!(t.needs_256());
        assert!(no_rgb(&t));
    }

    #[test]
    fn shipped_ansi16_parses_defines_every_style_and_uses_named_colours_only() {
        let file = shipped_file("ansi16");
        assert!(file.base.is_none());
        assert_eq!(file.styles.missing(), Vec::<&str>::new());
        let t = Theme::load("ansi16", None).expect("ansi16");
        assert!(!t.needs_256());
        for (name, s) in t.styles() {
            for c in [s.fg, s.bg].into_iter().flatten() {
                assert!(
                    !matches!(c, Color::Indexed(_) | Color::Rgb(..)),
                    "{name} uses {c:?}"
                );
            }
        }
    }

    fn no_rgb(t: &Theme) -> bool {
        t.styles().iter().all(|(_, s)| {
            ![s.fg, s.bg]
                .into_iter()
                .flatten()
                .any(|c| matches!(c, Color::Rgb(..)))
        })
    }

    #[test]
    fn shipped_themes_keep_focus_selection_and_null_distinct() {
        for name in ["dark", "light", "ansi16"] {
            let t = Theme::load(name, None).expect("theme");
            assert_ne!(t.selection, t.base, "{name}");
            assert_ne!(t.border_focused, t.border, "{name}");
            assert_ne!(t.title_focused, t.title, "{name}");
            assert_ne!(t.null.fg, t.base.fg, "{name}");
            assert!(
                t.selection.bg.is_some(),
                "{name}: selection has a background"
            );
            assert_ne!(t.severity_critical, t.severity_warning, "{name}");
            assert_ne!(t.severity_warning, t.severity_info, "{name}");
        }
    }

    #[test]
    fn style_names_match_the_shipped_files() {
        assert_eq!(STYLE_NAMES.len(), 34);
        let t = Theme::load("dark", None).expect("dark");
        assert_eq!(t.styles().len(), STYLE_NAMES.len());
    }

    #[test]
    fn user_theme_with_a_shipped_name_overrides_one_style_and_keeps_the_rest() {
        let dark = Theme::load("dark", None).expect("dark");
        let t = Theme::from_toml_str("dark", "[styles.selection]\nfg = \"red\"\n", "dark.toml")
            .expect("valid");
        assert_eq!(t.selection.fg, Some(Color::Red));
        // the rest of selection (bg, bold) and every other style are the shipped ones
        assert_eq!(t.selection.bg, dark.selection.bg);
        assert!(t.selection.add_modifier.contains(Modifier::BOLD));
        assert_eq!(t.base, dark.base);
        assert_eq!(t.null, dark.null);
    }

    #[test]
    fn a_new_user_theme_starts_from_dark_or_its_base() {
        let dark = Theme::load("dark", None).expect("dark");
        let light = Theme::load("light", None).expect("light");
        let t = Theme::from_toml_str("mine", "[styles]\nnull = { fg = 9 }\n", "mine.toml")
            .expect("valid");
        assert_eq!(t.base, dark.base);
        assert_eq!(t.null.fg, Some(Color::Indexed(9)));
        let t = Theme::from_toml_str("mine", "base = \"light\"\n", "mine.toml").expect("valid");
        assert_eq!(t, light);
        let e = Theme::from_toml_str("mine", "\nbase = \"solarized\"\n", "mine.toml")
            .expect_err("bad base");
        let s = e.to_string();
        assert!(
            s.starts_with("mine.toml: base: unknown base theme \"solarized\""),
            "{s}"
        );
        assert!(s.ends_with("(line 2)"), "{s}");
    }

    #[test]
    fn typos_in_theme_files_name_file_style_key_and_line() {
        let e = Theme::from_toml_str("dark", "[styles]\nselektion = { fg = 1 }\n", "t.toml")
            .expect_err("unknown style");
        let s = e.to_string();
        assert!(
            s.starts_with("t.toml: [styles] unknown key \"selektion\""),
            "{s}"
        );
        assert!(s.ends_with("(line 2)"), "{s}");

        let e = Theme::from_toml_str("dark", "[styles.base]\nfg = \"bleu\"\n", "t.toml")
            .expect_err("bad colour");
        let s = e.to_string();
        assert!(
            s.starts_with("t.toml: [styles.base] fg: unknown colour \"bleu\""),
            "{s}"
        );
        assert!(s.ends_with("(line 2)"), "{s}");

        let e = Theme::from_toml_str("dark", "[styles]\nbase = { fgg = 1 }\n", "t.toml")
            .expect_err("bad key");
        assert!(
            e.to_string().contains("[styles.base] unknown key \"fgg\""),
            "{e}"
        );

        let e = Theme::from_toml_str("dark", "[styles]\nbase = { fg = 300 }\n", "t.toml")
            .expect_err("index");
        assert!(e.to_string().contains("out of range"), "{e}");

        let e = Theme::from_toml_str("dark", "[style]\n", "t.toml").expect_err("section");
        assert!(e.to_string().contains("unknown key \"style\""), "{e}");
    }

    #[test]
    fn colours_parse_in_every_documented_form() {
        assert_eq!(parse_color("red"), Ok(Color::Red));
        assert_eq!(parse_color("LightBlue"), Ok(Color::LightBlue));
        assert_eq!(parse_color("dark_grey"), Ok(Color::DarkGray));
        assert_eq!(parse_color("reset"), Ok(Color::Reset));
        assert_eq!(parse_color("238"), Ok(Color::Indexed(238)));
        assert_eq!(parse_color("#1e90ff"), Ok(Color::Rgb(0x1e, 0x90, 0xff)));
        assert!(parse_color("256").is_err());
        assert!(parse_color("#12345").is_err());
        assert!(parse_color("#ééé").is_err());
        assert!(parse_color("").is_err());
        let t: StyleSpec = toml::from_str("fg = 238\nbg = \"17\"").expect("ints and strings");
        assert_eq!(t.style().fg, Some(Color::Indexed(238)));
        assert_eq!(t.style().bg, Some(Color::Indexed(17)));
    }

    #[test]
    fn no_color_strips_colours_and_keeps_focus_and_selection_visible() {
        for name in ["dark", "light", "ansi16"] {
            let t = Theme::load(name, None).expect("theme").no_color();
            for (style, s) in t.styles() {
                assert_eq!(s.fg, Some(Color::Reset), "{name}.{style}");
                assert_eq!(s.bg, Some(Color::Reset), "{name}.{style}");
            }
            assert!(
                t.selection.add_modifier.contains(Modifier::REVERSED),
                "{name}"
            );
            assert!(
                t.border_focused.add_modifier.contains(Modifier::BOLD),
                "{name}"
            );
            assert!(
                t.title_focused.add_modifier.contains(Modifier::BOLD),
                "{name}"
            );
            assert_ne!(t.selection, t.base, "{name}");
            assert_ne!(t.border_focused, t.border, "{name}");
            assert_ne!(t.title_focused, t.title, "{name}");
            assert!(!t.needs_256());
        }
        // modifiers from the theme itself survive
        let t = Theme::load("dark", None).expect("dark").no_color();
        assert!(t.null.add_modifier.contains(Modifier::ITALIC));
        assert!(t.selection.add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn load_finds_user_themes_and_lists_them() {
        let dir = temp_dir("load");
        std::fs::write(dir.join("themes/mine.toml"), "base = \"ansi16\"\n").expect("write");
        std::fs::write(dir.join("themes/dark.toml"), "[styles.base]\nfg = 250\n").expect("write");
        std::fs::write(dir.join("themes/notes.txt"), "x").expect("write");
        assert_eq!(
            Theme::names_in(Some(&dir)),
            ["dark", "light", "ansi16", "mine"]
        );
        let mine = Theme::load("mine", Some(&dir)).expect("mine");
        assert_eq!(mine, Theme::load("ansi16", None).expect("ansi16"));
        let dark = Theme::load("dark", Some(&dir)).expect("user dark");
        assert_eq!(dark.base.fg, Some(Color::Indexed(250)));
        let e = Theme::load("nope", Some(&dir)).expect_err("unknown");
        let s = e.to_string();
        assert!(s.starts_with("unknown theme \"nope\""), "{s}");
        assert!(s.contains("nope.toml does not exist"), "{s}");
        assert!(s.contains("dark, light, ansi16, mine"), "{s}");
        std::fs::write(dir.join("themes/bad.toml"), "[styles]\nnul = {}\n").expect("write");
        let e = Theme::load("bad", Some(&dir)).expect_err("typo");
        assert!(
            e.to_string()
                .contains("bad.toml: [styles] unknown key \"nul\""),
            "{e}"
        );
        let e = Theme::load("../etc/passwd", Some(&dir)).expect_err("path");
        assert!(e.to_string().contains("is not a theme name"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn color_support_follows_no_color_colorterm_and_term() {
        use ColorSupport::*;
        let f = color_support_from;
        assert_eq!(
            f(Some("1"), Some("truecolor"), Some("xterm-256color")),
            NoColor
        );
        assert_eq!(
            f(Some(""), None, Some("xterm-256color")),
            Ansi256,
            "empty NO_COLOR"
        );
        assert_eq!(f(None, Some("truecolor"), Some("xterm")), TrueColor);
        assert_eq!(f(None, Some("24bit"), None), TrueColor);
        assert_eq!(f(None, None, Some("xterm-256color")), Ansi256);
        assert_eq!(f(None, None, Some("tmux-256color")), Ansi256);
        assert_eq!(f(None, None, Some("screen-256color")), Ansi256);
        for t in ["linux", "vt100", "vt220", "xterm", "ansi", "screen"] {
            assert_eq!(f(None, None, Some(t)), Ansi16, "{t}");
        }
        assert_eq!(
            f(None, Some("yes"), Some("xterm")),
            Ansi256,
            "COLORTERM set"
        );
        assert_eq!(f(None, None, Some("dumb")), NoColor);
        assert_eq!(f(None, None, Some("alacritty")), Ansi256);
        assert_eq!(f(None, None, None), Ansi256);
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        fn key() -> impl Strategy<Value = String> {
            let mut known: Vec<String> = STYLE_NAMES.iter().map(|s| s.to_string()).collect();
            known.extend(["styles", "base", "fg", "bg", "bold", "reversed"].map(String::from));
            prop_oneof![prop::sample::select(known), "\\PC{0,8}"]
        }

        fn value() -> impl Strategy<Value = toml::Value> {
            let leaf = prop_oneof![
                any::<i64>().prop_map(toml::Value::Integer),
                (0i64..300).prop_map(toml::Value::Integer),
                any::<bool>().prop_map(toml::Value::Boolean),
                prop_oneof![
                    prop::sample::select(COLOR_NAMES.to_vec()).prop_map(String::from),
                    Just("light".to_string()),
                    Just("#a0b0c0".to_string()),
                    "\\PC{0,10}",
                ]
                .prop_map(toml::Value::String),
            ];
            leaf.prop_recursive(3, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(toml::Value::Array),
                    prop::collection::btree_map(key(), inner, 0..4)
                        .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #[test]
            fn theme_parsing_never_panics_on_arbitrary_text(s in "\\PC{0,200}") {
                let _ = Theme::from_toml_str("mine", &s, "mine.toml");
                let _ = parse_color(&s);
            }

            #[test]
            fn theme_parsing_never_panics_on_arbitrary_toml(
                m in prop::collection::btree_map(key(), value(), 0..5),
                name in prop::sample::select(vec!["dark", "light", "ansi16", "mine"]),
            ) {
                let table: toml::Table = m.into_iter().collect();
                if let Ok(text) = toml::to_string(&table) {
                    let _ = Theme::from_toml_str(name, &text, "t.toml");
                }
            }
        }
    }
}
