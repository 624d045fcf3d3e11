//! Key bindings: `KeyChord` (a key plus modifiers, parsed from and shown as `ctrl-q`, `alt-1`,
//! `shift-tab`, `G`), the sections a key is looked up in, and the `Keymap` built from the embedded
//! `keymaps/default.toml` with the user's `keymap.toml` merged over it (the rule in `config.rs`).
//!
//! Chords are normalised so a chord written in a file equals what crossterm delivers: SHIFT is
//! dropped from characters (`G` arrives as `Char('G')` + SHIFT), and shift-tab is `BackTab`
//! without SHIFT. This module only maps keys to `Action`s; it must not decide the lookup order
//! (the app does: modal, pane, list, global, text, navigation) or carry out actions.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::action::Action;
use crate::config::{
    ConfigError, deserialize_user, from_merged, line_of_key, merge_tables, parse_table,
    read_optional, sanitize,
};

/// The shipped keymap, merged under the user's `keymap.toml`.
const DEFAULT_KEYMAP: &str = include_str!("../keymaps/default.toml");

/// How the embedded keymap is named in the (never expected) case that it fails to load.
const DEFAULT_ORIGIN: &str = "built-in keymaps/default.toml";

/// A keymap section: where a binding applies. The app consults them in the order documented in
/// `keymaps/default.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Section {
    /// Everywhere, even while typing: only chords that do not type a character.
    Global,
    /// Outside text entry.
    Navigation,
    /// The query editor.
    Editor,
    /// The results grid.
    Results,
    /// The schema browser.
    Schema,
    /// The plan view.
    Plan,
    /// The activity monitor.
    Activity,
    /// The health report.
    Health,
    /// Shared by list-like panes, unless a filter is being typed.
    List,
    /// Dialogs and the help overlay.
    Modal,
}

impl Section {
    /// Every section, in file order.
    pub const ALL: [Section; 10] = [
        Section::Global,
        Section::Navigation,
        Section::Editor,
        Section::Results,
        Section::Schema,
        Section::Plan,
        Section::Activity,
        Section::Health,
        Section::List,
        Section::Modal,
    ];

    /// The section's name in keymap files (`[global]`).
    pub fn name(self) -> &'static str {
        match self {
            Section::Global => "global",
            Section::Navigation => "navigation",
            Section::Editor => "editor",
            Section::Results => "results",
            Section::Schema => "schema",
            Section::Plan => "plan",
            Section::Activity => "activity",
            Section::Health => "health",
            Section::List => "list",
            Section::Modal => "modal",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A key with its modifiers, normalised (see the module docs) so equal chords compare equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyChord {
    /// The key.
    pub code: KeyCode,
    /// CONTROL, ALT, SHIFT (never SHIFT on a character or on BackTab); events may add SUPER,
    /// HYPER or META, which no file can bind, so such chords never match.
    pub mods: KeyModifiers,
}

impl KeyChord {
    /// A chord from a key and modifiers, normalised.
    pub fn new(code: KeyCode, mods: KeyModifiers) -> KeyChord {
        match code {
            KeyCode::Char(c) => {
                // Some terminals (kitty protocol) report shift-g as 'g' + SHIFT; most send 'G'.
                let c = if mods.contains(KeyModifiers::SHIFT) {
                    single_uppercase(c).unwrap_or(c)
                } else {
                    c
                };
                KeyChord {
                    code: KeyCode::Char(c),
                    mods: mods - KeyModifiers::SHIFT,
                }
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => KeyChord {
                code: KeyCode::BackTab,
                mods: mods - KeyModifiers::SHIFT,
            },
            KeyCode::BackTab => KeyChord {
                code: KeyCode::BackTab,
                mods: mods - KeyModifiers::SHIFT,
            },
            _ => KeyChord { code, mods },
        }
    }

    /// The chord a terminal key event stands for, normalised to match chords parsed from files.
    /// The event's kind is ignored: the caller drops `Release` (and, if it wishes, `Repeat`)
    /// events, which terminals with the kitty keyboard protocol and Windows deliver.
    pub fn from_event(event: &KeyEvent) -> KeyChord {
        KeyChord::new(event.code, event.modifiers)
    }

    /// True for a chord that types a character (a character key without ctrl, alt or another
    /// command modifier). `[global]` is consulted even in the editor, so such a chord there would
    /// stop that character being typed; the keymap refuses it.
    pub fn is_printable(&self) -> bool {
        let command = KeyModifiers::CONTROL
            | KeyModifiers::ALT
            | KeyModifiers::SUPER
            | KeyModifiers::HYPER
            | KeyModifiers::META;
        matches!(self.code, KeyCode::Char(_)) && !self.mods.intersects(command)
    }
}

fn single_uppercase(c: char) -> Option<char> {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => Some(u),
        _ => None,
    }
}

/// Why a chord could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChordError {
    /// The text that was given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for ChordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid key {:?}: {}", self.input, self.reason)
    }
}

impl std::error::Error for ChordError {}

const KEY_NAMES: &str = "one character, f1-f24, enter, esc, tab, backtab, backspace, delete, \
                         insert, home, end, pageup, pagedown, up, down, left, right, space";

fn key_code(name: &str) -> Result<KeyCode, String> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_control() {
            return Err("control characters cannot be bound; use a key name".to_string());
        }
        return Ok(KeyCode::Char(c));
    }
    let lower = name.to_ascii_lowercase();
    let code = match lower.as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdown" | "pgdn" => KeyCode::PageDown,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "space" => KeyCode::Char(' '),
        other => {
            if let Some(n) = other.strip_prefix('f')
                && !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
            {
                return match n.parse::<u8>() {
                    Ok(n @ 1..=24) => Ok(KeyCode::F(n)),
                    _ => Err("function keys go from f1 to f24".to_string()),
                };
            }
            return Err(format!("unknown key name (use {KEY_NAMES})"));
        }
    };
    Ok(code)
}

/// Parses `[ctrl-][alt-][shift-]KEY`: modifiers in any order, names case-insensitive, a
/// one-character KEY case-sensitive (`G` is shift-g). See `keymaps/default.toml`.
impl FromStr for KeyChord {
    type Err = ChordError;

    fn from_str(s: &str) -> Result<KeyChord, ChordError> {
        let err = |reason: String| ChordError {
            input: s.to_string(),
            reason,
        };
        if s.is_empty() {
            return Err(err("empty key".to_string()));
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        // Peel `mod-` prefixes. A part starting with `-` is the minus key itself (`ctrl--`).
        while let Some((head, tail)) = rest.split_once('-') {
            if head.is_empty() {
                break;
            }
            let m = match head.to_ascii_lowercase().as_str() {
                "ctrl" => KeyModifiers::CONTROL,
                "alt" => KeyModifiers::ALT,
                "shift" => KeyModifiers::SHIFT,
                _ => {
                    return Err(err(format!(
                        "unknown modifier {head:?} (use ctrl-, alt-, shift-)"
                    )));
                }
            };
            if mods.contains(m) {
                return Err(err(format!("{head}- is given twice")));
            }
            if tail.is_empty() {
                return Err(err(format!("no key after {head}-")));
            }
            mods |= m;
            rest = tail;
        }
        let code = key_code(rest).map_err(err)?;
        if let KeyCode::Char(c) = code
            && mods.contains(KeyModifiers::SHIFT)
            && !c.is_alphabetic()
        {
            return Err(err(format!(
                "shift- with {c:?}: write the character the shifted key types instead \
                 (\"!\" rather than shift-1)"
            )));
        }
        Ok(KeyChord::new(code, mods))
    }
}

/// The canonical form used in help and hints: `ctrl-q`, `alt-1`, `f5`, `shift-tab`, `?`, `G`.
impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (KeyModifiers::CONTROL, "ctrl-"),
            (KeyModifiers::ALT, "alt-"),
            (KeyModifiers::SUPER, "super-"),
            (KeyModifiers::HYPER, "hyper-"),
            (KeyModifiers::META, "meta-"),
            (KeyModifiers::SHIFT, "shift-"),
        ];
        for (m, name) in names {
            if self.mods.contains(m) {
                f.write_str(name)?;
            }
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) if c.is_control() => write!(f, "{}", c.escape_default()),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pageup"),
            KeyCode::PageDown => f.write_str("pagedown"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            other => write!(f, "{}", format!("{other:?}").to_lowercase()),
        }
    }
}

/// An action name as a keymap key; an unknown one is an error pointing at the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ActionKey(Action);

impl<'de> Deserialize<'de> for ActionKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<Action>().map(ActionKey).map_err(|_| {
            let hint = suggest(&s)
                .map(|a| format!(" (did you mean {a}?)"))
                .unwrap_or_default();
            de::Error::custom(format!("unknown action \"{s}\"{hint}"))
        })
    }
}

/// The closest action name, for typos.
fn suggest(word: &str) -> Option<&'static str> {
    if word.len() > 64 {
        return None;
    }
    Action::ALL
        .iter()
        .map(|a| (edit_distance(word, a.name()), a.name()))
        .filter(|(d, name)| *d <= 2.max(name.len() / 5))
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The keys of one binding: `"ctrl-q"` or `["f5", "alt-enter"]`; `[]` unbinds.
#[derive(Debug, Clone, Default)]
struct ChordList(Vec<KeyChord>);

impl<'de> Deserialize<'de> for ChordList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ChordList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key (\"ctrl-q\") or a list of keys ([\"f5\", \"alt-enter\"])")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ChordList, E> {
                v.parse().map(|c| ChordList(vec![c])).map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ChordList, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s.parse().map_err(de::Error::custom)?);
                }
                Ok(ChordList(out))
            }
        }
        d.deserialize_any(V)
    }
}

type SectionFile = BTreeMap<ActionKey, ChordList>;

/// A keymap file. Every section may be left out.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a keymap table")]
struct KeymapFile {
    #[serde(default)]
    global: SectionFile,
    #[serde(default)]
    navigation: SectionFile,
    #[serde(default)]
    editor: SectionFile,
    #[serde(default)]
    results: SectionFile,
    #[serde(default)]
    schema: SectionFile,
    #[serde(default)]
    plan: SectionFile,
    #[serde(default)]
    activity: SectionFile,
    #[serde(default)]
    health: SectionFile,
    #[serde(default)]
    list: SectionFile,
    #[serde(default)]
    modal: SectionFile,
}

impl KeymapFile {
    fn section(&self, s: Section) -> &SectionFile {
        match s {
            Section::Global => &self.global,
            Section::Navigation => &self.navigation,
            Section::Editor => &self.editor,
            Section::Results => &self.results,
            Section::Schema => &self.schema,
            Section::Plan => &self.plan,
            Section::Activity => &self.activity,
            Section::Health => &self.health,
            Section::List => &self.list,
            Section::Modal => &self.modal,
        }
    }
}

/// One section's bindings, both ways round.
#[derive(Clone, Debug, Default)]
struct Bindings {
    by_action: BTreeMap<Action, Vec<KeyChord>>,
    by_chord: HashMap<KeyChord, Action>,
}

/// The live key bindings: the embedded default with the user's `keymap.toml` merged over it.
#[derive(Clone, Debug)]
pub struct Keymap {
    sections: [Bindings; 10],
}

impl Keymap {
    /// The embedded default merged with `<config_dir>/keymap.toml` when that file exists. `None`
    /// (no config dir) gives the default.
    pub fn load(config_dir: Option<&Path>) -> Result<Keymap, ConfigError> {
        let path = config_dir.map(|d| d.join("keymap.toml"));
        let user = match &path {
            Some(p) => read_optional(p)?,
            None => None,
        };
        match (user, path) {
            (Some(text), Some(p)) => Keymap::from_toml_str(&text, &p.display().to_string()),
            _ => Keymap::from_toml_str("", DEFAULT_ORIGIN),
        }
    }

    /// The embedded default merged with `user` (the text of a keymap.toml); `origin` names it in
    /// errors. A chord the user binds in a section is first removed from the default's other
    /// actions in that section, so rebinding never conflicts with a default.
    pub fn from_toml_str(user: &str, origin: &str) -> Result<Keymap, ConfigError> {
        let mine: KeymapFile =
            deserialize_user(user, origin).map_err(|e| reword_unknown_section(e, user))?;
        check(&mine, user, origin)?;
        let mut merged = parse_table(DEFAULT_KEYMAP, DEFAULT_ORIGIN)?;
        free_taken_chords(&mut merged, &mine);
        merge_tables(&mut merged, parse_table(user, origin)?);
        let file: KeymapFile = from_merged(merged, origin)?;
        // Freeing taken chords makes the merge conflict-free when the default is (a test holds
        // it so); checking the result anyway turns any slip into an error, not a silent winner.
        check(&file, "", origin)?;
        Ok(Keymap::build(&file))
    }

    /// The embedded `keymaps/default.toml`.
    pub fn default_keymap() -> Keymap {
        // A unit test parses the embedded file; failing here means the binary was built broken.
        Keymap::from_toml_str("", DEFAULT_ORIGIN).expect(
            "keymaps/default.toml is embedded and tested; failing to load it is a build defect",
        )
    }

    fn build(file: &KeymapFile) -> Keymap {
        let mut sections: [Bindings; 10] = std::array::from_fn(|_| Bindings::default());
        for s in Section::ALL {
            let b = &mut sections[s.index()];
            for (ActionKey(action), ChordList(chords)) in file.section(s) {
                let mut keys: Vec<KeyChord> = Vec::new();
                for c in chords {
                    if !keys.contains(c) {
                        keys.push(*c);
                    }
                }
                if keys.is_empty() {
                    continue;
                }
                for c in &keys {
                    // `check` rules out clashes; should one slip through, the first action wins.
                    b.by_chord.entry(*c).or_insert(*action);
                }
                b.by_action.insert(*action, keys);
            }
        }
        Keymap { sections }
    }

    /// The action `key` is bound to in `section`, if any.
    pub fn lookup(&self, section: Section, key: &KeyChord) -> Option<Action> {
        let key = KeyChord::new(key.code, key.mods);
        self.sections[section.index()].by_chord.get(&key).copied()
    }

    /// The keys bound to `action` in `section`, in file order; empty when unbound. For help and
    /// status-bar hints (the first key is the one to show).
    pub fn keys_for(&self, section: Section, action: Action) -> &[KeyChord] {
        self.sections[section.index()]
            .by_action
            .get(&action)
            .map_or(&[], Vec::as_slice)
    }

    /// Every bound action of `section` with its keys, in `Action::ALL` order. Unbound actions
    /// are left out.
    pub fn bindings(&self, section: Section) -> Vec<(Action, Vec<KeyChord>)> {
        let b = &self.sections[section.index()];
        Action::ALL
            .iter()
            .filter_map(|a| b.by_action.get(a).map(|keys| (*a, keys.clone())))
            .collect()
    }
}

/// serde calls a misspelt section an unknown key; in a keymap it is a section.
fn reword_unknown_section(e: ConfigError, _user: &str) -> ConfigError {
    match e {
        ConfigError::Invalid {
            file,
            section: None,
            key: None,
            message,
            line,
        } if message.starts_with("unknown key \"") => {
            let name = message.split('"').nth(1).unwrap_or_default().to_string();
            let names: Vec<&str> = Section::ALL.iter().map(|s| s.name()).collect();
            ConfigError::Invalid {
                file,
                section: None,
                key: None,
                message: format!(
                    "unknown section [{name}] (the sections are {})",
                    names.join(", ")
                ),
                line,
            }
        }
        other => other,
    }
}

/// Rules on the user's own file: one chord, one action per section; `[global]` holds no key that
/// can be typed.
fn check(mine: &KeymapFile, user: &str, origin: &str) -> Result<(), ConfigError> {
    for s in Section::ALL {
        let mut entries: Vec<(Option<usize>, Action, &[KeyChord])> = mine
            .section(s)
            .iter()
            .map(|(ActionKey(a), ChordList(c))| {
                (line_of_key(user, &[s.name(), a.name()]), *a, c.as_slice())
            })
            .collect();
        // File order, so "first" and "second" in a conflict read the way the file does.
        entries.sort_by_key(|(line, a, _)| (*line, *a));
        let mut seen: HashMap<KeyChord, Action> = HashMap::new();
        for (line, action, chords) in entries {
            for c in chords {
                if s == Section::Global && c.is_printable() {
                    return Err(ConfigError::Invalid {
                        file: sanitize(origin),
                        section: Some("global".into()),
                        key: Some(action.name().into()),
                        message: sanitize(&format!(
                            "{c} types a character, and [global] is checked even in the \
                             editor, so it could no longer be typed; bind it in [navigation] \
                             (outside text entry) or in a pane's section"
                        )),
                        line,
                    });
                }
                match seen.get(c) {
                    Some(&first) if first != action => {
                        return Err(ConfigError::Conflict {
                            file: sanitize(origin),
                            section: s.name().into(),
                            chord: sanitize(&c.to_string()),
                            first: first.name(),
                            second: action.name(),
                            line,
                        });
                    }
                    _ => {
                        seen.insert(*c, action);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Before merging: take every chord the user binds in a section away from the default's other
/// actions in that section (the user's own actions are replaced wholesale by the merge).
fn free_taken_chords(defaults: &mut toml::Table, mine: &KeymapFile) {
    for s in Section::ALL {
        let sec = mine.section(s);
        if sec.is_empty() {
            continue;
        }
        let taken: HashSet<KeyChord> = sec.values().flat_map(|c| c.0.iter().copied()).collect();
        let Some(toml::Value::Table(t)) = defaults.get_mut(s.name()) else {
            continue;
        };
        for (name, value) in t.iter_mut() {
            if name
                .parse::<Action>()
                .is_ok_and(|a| sec.contains_key(&ActionKey(a)))
            {
                continue;
            }
            let chords: Vec<String> = match value {
                toml::Value::String(c) => vec![c.clone()],
                toml::Value::Array(items) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect(),
                _ => continue,
            };
            let kept = chords
                .into_iter()
                .filter(|c| c.parse::<KeyChord>().map_or(true, |k| !taken.contains(&k)))
                .map(toml::Value::String)
                .collect();
            *value = toml::Value::Array(kept);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEvent;

    fn chord(s: &str) -> KeyChord {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyChord {
        KeyChord::from_event(&KeyEvent::new(code, mods))
    }

    #[test]
    fn shipped_default_keymap_parses_without_conflicts() {
        let file: KeymapFile = toml::from_str(DEFAULT_KEYMAP).expect("default keymap parses");
        check(&file, DEFAULT_KEYMAP, DEFAULT_ORIGIN)
            .expect("no conflicts, nothing typeable in [global]");
        let km = Keymap::default_keymap();
        assert!(!km.bindings(Section::Global).is_empty());
    }

    #[test]
    fn default_keymap_header_lists_every_action() {
        for a in Action::ALL {
            assert!(
                DEFAULT_KEYMAP.contains(&format!(" {}", a.name())),
                "{}",
                a.name()
            );
        }
    }

    #[test]
    fn default_bindings_are_the_documented_ones() {
        let km = Keymap::default_keymap();
        let keys = |s: Section, a: Action| -> Vec<String> {
            km.keys_for(s, a).iter().map(ToString::to_string).collect()
        };
        assert_eq!(keys(Section::Global, Action::Quit), ["ctrl-q"]);
        assert_eq!(keys(Section::Global, Action::Help), ["f1"]);
        assert_eq!(keys(Section::Global, Action::Refresh), ["ctrl-l"]);
        let focus = [
            Action::FocusSchema,
            Action::FocusEditor,
            Action::FocusResults,
            Action::FocusPlan,
            Action::FocusActivity,
            Action::FocusHealth,
        ];
        for (i, a) in focus.into_iter().enumerate() {
            assert_eq!(keys(Section::Global, a), [format!("alt-{}", i + 1)]);
        }
        assert_eq!(keys(Section::Navigation, Action::Help), ["?"]);
        assert_eq!(keys(Section::Navigation, Action::NextPane), ["tab"]);
        assert_eq!(keys(Section::Navigation, Action::PrevPane), ["shift-tab"]);
        assert_eq!(keys(Section::Navigation, Action::Refresh), ["r"]);
        assert_eq!(
            keys(Section::Editor, Action::RunStatement),
            ["f5", "alt-enter", "ctrl-enter"]
        );
        assert_eq!(keys(Section::Editor, Action::CancelStatement), ["ctrl-c"]);
        assert_eq!(keys(Section::Results, Action::CancelStatement), ["ctrl-c"]);
        assert_eq!(keys(Section::Results, Action::Toggle), ["space"]);
        assert_eq!(keys(Section::Schema, Action::Select), ["enter"]);
        assert_eq!(keys(Section::Schema, Action::Toggle), ["space"]);
        assert_eq!(keys(Section::List, Action::Up), ["up", "k"]);
        assert_eq!(keys(Section::List, Action::Down), ["down", "j"]);
        assert_eq!(keys(Section::List, Action::Left), ["left", "h"]);
        assert_eq!(keys(Section::List, Action::Right), ["right", "l"]);
        assert_eq!(keys(Section::List, Action::PageUp), ["pageup"]);
        assert_eq!(keys(Section::List, Action::PageDown), ["pagedown"]);
        assert_eq!(keys(Section::List, Action::Top), ["g", "home"]);
        assert_eq!(keys(Section::List, Action::Bottom), ["G", "end"]);
        assert_eq!(keys(Section::List, Action::Filter), ["/"]);
        assert_eq!(keys(Section::List, Action::Back), ["esc"]);
        assert_eq!(keys(Section::List, Action::Select), ["enter"]);
        assert_eq!(keys(Section::Modal, Action::Confirm), ["y", "enter"]);
        assert_eq!(keys(Section::Modal, Action::Dismiss), ["n", "esc"]);
        assert_eq!(keys(Section::Modal, Action::Up), ["up", "k"]);
        assert_eq!(keys(Section::Modal, Action::Down), ["down", "j"]);
        assert!(keys(Section::Plan, Action::Refresh).is_empty());
    }

    #[test]
    fn lookups_match_what_crossterm_delivers() {
        let km = Keymap::default_keymap();
        let none = KeyModifiers::NONE;
        let look = |s, c| km.lookup(s, &c);
        assert_eq!(
            look(
                Section::Global,
                ev(KeyCode::Char('q'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
        assert_eq!(
            look(Section::Global, ev(KeyCode::Char('5'), KeyModifiers::ALT)),
            Some(Action::FocusActivity)
        );
        assert_eq!(
            look(Section::Global, ev(KeyCode::F(1), none)),
            Some(Action::Help)
        );
        assert_eq!(
            look(
                Section::Navigation,
                ev(KeyCode::BackTab, KeyModifiers::SHIFT)
            ),
            Some(Action::PrevPane)
        );
        assert_eq!(
            look(Section::Navigation, ev(KeyCode::Tab, none)),
            Some(Action::NextPane)
        );
        assert_eq!(
            look(
                Section::Navigation,
                ev(KeyCode::Char('?'), KeyModifiers::SHIFT)
            ),
            Some(Action::Help)
        );
        assert_eq!(
            look(Section::Navigation, ev(KeyCode::Char('?'), none)),
            Some(Action::Help)
        );
        assert_eq!(
            look(Section::List, ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            look(Section::List, ev(KeyCode::Char('G'), none)),
            Some(Action::Bottom)
        );
        assert_eq!(
            look(Section::List, ev(KeyCode::Char('g'), none)),
            Some(Action::Top)
        );
        assert_eq!(
            look(Section::Editor, ev(KeyCode::Enter, KeyModifiers::ALT)),
            Some(Action::RunStatement)
        );
        assert_eq!(
            look(
                Section::Editor,
                ev(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::CancelStatement)
        );
        assert_eq!(
            look(Section::Results, ev(KeyCode::Char(' '), none)),
            Some(Action::Toggle)
        );
        // SUPER-q is not q and not ctrl-q
        assert_eq!(
            look(Section::Global, ev(KeyCode::Char('q'), KeyModifiers::SUPER)),
            None
        );
        assert_eq!(look(Section::Editor, ev(KeyCode::Char('x'), none)), None);
    }

    #[test]
    fn chords_parse_normalise_and_display_canonically() {
        let cases = [
            (
                "ctrl-q",
                KeyCode::Char('q'),
                KeyModifiers::CONTROL,
                "ctrl-q",
            ),
            (
                "CTRL-q",
                KeyCode::Char('q'),
                KeyModifiers::CONTROL,
                "ctrl-q",
            ),
            ("alt-1", KeyCode::Char('1'), KeyModifiers::ALT, "alt-1"),
            ("f5", KeyCode::F(5), KeyModifiers::NONE, "f5"),
            ("F24", KeyCode::F(24), KeyModifiers::NONE, "f24"),
            ("?", KeyCode::Char('?'), KeyModifiers::NONE, "?"),
            ("/", KeyCode::Char('/'), KeyModifiers::NONE, "/"),
            ("G", KeyCode::Char('G'), KeyModifiers::NONE, "G"),
            ("shift-g", KeyCode::Char('G'), KeyModifiers::NONE, "G"),
            ("shift-G", KeyCode::Char('G'), KeyModifiers::NONE, "G"),
            (
                "shift-tab",
                KeyCode::BackTab,
                KeyModifiers::NONE,
                "shift-tab",
            ),
            ("backtab", KeyCode::BackTab, KeyModifiers::NONE, "shift-tab"),
            ("alt-enter", KeyCode::Enter, KeyModifiers::ALT, "alt-enter"),
            ("space", KeyCode::Char(' '), KeyModifiers::NONE, "space"),
            (
                "shift-alt-ctrl-x",
                KeyCode::Char('X'),
                KeyModifiers::CONTROL | KeyModifiers::ALT,
                "ctrl-alt-X",
            ),
            (
                "alt-ctrl-up",
                KeyCode::Up,
                KeyModifiers::CONTROL | KeyModifiers::ALT,
                "ctrl-alt-up",
            ),
            ("shift-up", KeyCode::Up, KeyModifiers::SHIFT, "shift-up"),
            (
                "ctrl-shift-tab",
                KeyCode::BackTab,
                KeyModifiers::CONTROL,
                "ctrl-shift-tab",
            ),
            ("-", KeyCode::Char('-'), KeyModifiers::NONE, "-"),
            (
                "ctrl--",
                KeyCode::Char('-'),
                KeyModifiers::CONTROL,
                "ctrl--",
            ),
            ("pgdn", KeyCode::PageDown, KeyModifiers::NONE, "pagedown"),
            ("escape", KeyCode::Esc, KeyModifiers::NONE, "esc"),
        ];
        for (text, code, mods, shown) in cases {
            let c = chord(text);
            assert_eq!((c.code, c.mods), (code, mods), "{text}");
            assert_eq!(c.to_string(), shown, "{text}");
            assert_eq!(chord(shown), c, "{shown} round-trips");
        }
    }

    #[test]
    fn events_normalise_like_files() {
        assert_eq!(ev(KeyCode::Char('G'), KeyModifiers::SHIFT), chord("G"));
        assert_eq!(ev(KeyCode::Char('g'), KeyModifiers::SHIFT), chord("G"));
        assert_eq!(
            ev(KeyCode::BackTab, KeyModifiers::SHIFT),
            chord("shift-tab")
        );
        assert_eq!(ev(KeyCode::Tab, KeyModifiers::SHIFT), chord("backtab"));
        assert_eq!(
            ev(KeyCode::Char('c'), KeyModifiers::CONTROL),
            chord("ctrl-c")
        );
        assert_eq!(ev(KeyCode::Enter, KeyModifiers::ALT), chord("alt-enter"));
        assert_eq!(ev(KeyCode::Char('1'), KeyModifiers::ALT), chord("alt-1"));
        assert_eq!(ev(KeyCode::Char('?'), KeyModifiers::SHIFT), chord("?"));
        assert_eq!(ev(KeyCode::Char(' '), KeyModifiers::NONE), chord("space"));
        assert_ne!(ev(KeyCode::Char('g'), KeyModifiers::NONE), chord("G"));
        assert_eq!(
            ev(
                KeyCode::Char('q'),
                KeyModifiers::CONTROL | KeyModifiers::SUPER
            )
            .to_string(),
            "ctrl-super-q"
        );
    }

    #[test]
    fn bad_chords_are_errors_that_say_why() {
        for bad in [
            "",
            "ctrl-",
            "hyper-x",
            "f99",
            "f0",
            "enter-",
            "ctrl-ctrl-x",
            "shift-1",
            "foo",
            "--",
            "ctrl-alt-",
            "\u{7}",
            "f1x",
            "a-b",
        ] {
            let e = bad.parse::<KeyChord>().expect_err(bad);
            assert!(!e.reason.is_empty(), "{bad}");
            assert!(e.to_string().starts_with("invalid key"), "{e}");
        }
        let e = "hyper-x".parse::<KeyChord>().expect_err("hyper");
        assert!(e.reason.contains("unknown modifier"), "{e}");
        let e = "f99".parse::<KeyChord>().expect_err("f99");
        assert!(e.reason.contains("f1 to f24"), "{e}");
    }

    #[test]
    fn rebinding_one_action_keeps_all_others() {
        let def = Keymap::default_keymap();
        let km = Keymap::from_toml_str("[editor]\nrun_statement = \"f8\"\n", "keymap.toml")
            .expect("valid");
        assert_eq!(
            km.keys_for(Section::Editor, Action::RunStatement),
            [chord("f8")]
        );
        assert_eq!(km.lookup(Section::Editor, &chord("f5")), None);
        assert_eq!(
            km.lookup(Section::Editor, &chord("f8")),
            Some(Action::RunStatement)
        );
        for s in Section::ALL {
            for a in Action::ALL {
                if (s, *a) != (Section::Editor, Action::RunStatement) {
                    assert_eq!(km.keys_for(s, *a), def.keys_for(s, *a), "{s:?} {a:?}");
                }
            }
        }
    }

    #[test]
    fn empty_list_unbinds() {
        let km = Keymap::from_toml_str("[list]\nfilter = []\n", "keymap.toml").expect("valid");
        assert!(km.keys_for(Section::List, Action::Filter).is_empty());
        assert_eq!(km.lookup(Section::List, &chord("/")), None);
        assert!(
            km.bindings(Section::List)
                .iter()
                .all(|(a, _)| *a != Action::Filter)
        );
    }

    #[test]
    fn a_user_chord_is_taken_from_the_defaults_other_actions() {
        // `g` was top; binding it to bottom frees it from top without an error.
        let km = Keymap::from_toml_str("[list]\nbottom = \"g\"\n", "keymap.toml").expect("valid");
        assert_eq!(km.lookup(Section::List, &chord("g")), Some(Action::Bottom));
        assert_eq!(km.keys_for(Section::List, Action::Top), [chord("home")]);
        assert_eq!(km.keys_for(Section::List, Action::Bottom), [chord("g")]);
        // normalised forms count as the same chord
        let km = Keymap::from_toml_str("[navigation]\nnext_pane = \"backtab\"\n", "k.toml")
            .expect("valid");
        assert!(
            km.keys_for(Section::Navigation, Action::PrevPane)
                .is_empty()
        );
        assert_eq!(
            km.lookup(
                Section::Navigation,
                &ev(KeyCode::BackTab, KeyModifiers::SHIFT)
            ),
            Some(Action::NextPane)
        );
    }

    #[test]
    fn a_chord_bound_twice_in_the_users_file_names_both_actions() {
        let e = Keymap::from_toml_str(
            "[list]\ntop = \"t\"\nbottom = [\"end\", \"t\"]\n",
            "/home/u/.config/pgdeck/keymap.toml",
        )
        .expect_err("conflict");
        assert_eq!(
            e.to_string(),
            "/home/u/.config/pgdeck/keymap.toml: [list] t is bound to both top and bottom; \
             a key can do one thing per section (line 3)"
        );
        // different sections may share a chord
        Keymap::from_toml_str("[list]\ntop = \"t\"\n[modal]\nconfirm = \"t\"\n", "k.toml")
            .expect("sections are independent");
    }

    #[test]
    fn typos_name_file_section_and_line() {
        let e = Keymap::from_toml_str(
            "[editor]\nrun_statment = \"f9\"\n",
            "/home/u/.config/pgdeck/keymap.toml",
        )
        .expect_err("typo");
        assert_eq!(
            e.to_string(),
            "/home/u/.config/pgdeck/keymap.toml: [editor] unknown action \"run_statment\" \
             (did you mean run_statement?) (line 2)"
        );
        let e = Keymap::from_toml_str("\n[edtor]\nrun_statement = \"f9\"\n", "keymap.toml")
            .expect_err("section");
        let s = e.to_string();
        assert!(
            s.starts_with("keymap.toml: unknown section [edtor] (the sections are global,"),
            "{s}"
        );
        assert!(s.ends_with("(line 2)"), "{s}");
        let e = Keymap::from_toml_str("[list]\nup = [\"k\", \"hyper-k\"]\n", "keymap.toml")
            .expect_err("chord");
        let s = e.to_string();
        assert!(
            s.starts_with("keymap.toml: [list] up: invalid key \"hyper-k\""),
            "{s}"
        );
        assert!(s.ends_with("(line 2)"), "{s}");
        let e = Keymap::from_toml_str("[list]\nup = 3\n", "keymap.toml").expect_err("type");
        assert!(
            e.to_string()
                .starts_with("keymap.toml: [list] up: invalid type"),
            "{e}"
        );
        let e = Keymap::from_toml_str("quit = \"ctrl-q\"\n", "keymap.toml").expect_err("top");
        assert!(e.to_string().contains("unknown section [quit]"), "{e}");
    }

    #[test]
    fn printable_keys_are_refused_in_global() {
        let e = Keymap::from_toml_str("[global]\nquit = \"q\"\n", "keymap.toml").expect_err("q");
        let s = e.to_string();
        assert!(
            s.starts_with("keymap.toml: [global] quit: q types a character"),
            "{s}"
        );
        assert!(s.ends_with("(line 2)"), "{s}");
        let e = Keymap::from_toml_str("[global]\nhelp = \"space\"\n", "k.toml").expect_err("space");
        assert!(e.to_string().contains("space types a character"), "{e}");
        Keymap::from_toml_str(
            "[global]\nquit = [\"ctrl-q\", \"f10\", \"alt-x\"]\n",
            "k.toml",
        )
        .expect("non-printable keys are fine");
        // a user who wants tab to switch panes even in the editor may say so
        Keymap::from_toml_str("[global]\nnext_pane = \"tab\"\n", "k.toml").expect("tab");
    }

    #[test]
    fn bindings_follow_action_order_and_skip_unbound() {
        let km = Keymap::default_keymap();
        let actions: Vec<Action> = km
            .bindings(Section::List)
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        let mut sorted = actions.clone();
        sorted.sort_by_key(|a| Action::ALL.iter().position(|b| b == a));
        assert_eq!(actions, sorted);
        assert!(
            km.bindings(Section::Plan)
                .iter()
                .any(|(a, _)| *a == Action::UseSuggestion)
        );
    }

    #[test]
    fn load_reads_keymap_toml_from_the_dir() {
        let dir = std::env::temp_dir().join(format!("pgdeck-keymap-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let km = Keymap::load(Some(&dir)).expect("no file: default");
        assert_eq!(
            km.keys_for(Section::Global, Action::Quit),
            [chord("ctrl-q")]
        );
        std::fs::write(dir.join("keymap.toml"), "[global]\nquit = \"ctrl-x\"\n").expect("write");
        let km = Keymap::load(Some(&dir)).expect("user file");
        assert_eq!(
            km.keys_for(Section::Global, Action::Quit),
            [chord("ctrl-x")]
        );
        std::fs::write(dir.join("keymap.toml"), "[global]\nquit = \"ctrl-\"\n").expect("write");
        let e = Keymap::load(Some(&dir)).expect_err("bad");
        assert!(
            e.to_string()
                .contains(&dir.join("keymap.toml").display().to_string()),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).ok();
        assert!(Keymap::load(None).is_ok());
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        fn chord_text() -> impl Strategy<Value = String> {
            let key = prop_oneof![
                "[ -~]",
                prop::sample::select(vec![
                    "enter",
                    "esc",
                    "tab",
                    "backtab",
                    "backspace",
                    "delete",
                    "insert",
                    "home",
                    "end",
                    "pageup",
                    "pagedown",
                    "up",
                    "down",
                    "left",
                    "right",
                    "space",
                    "F1",
                    "f12",
                    "f24",
                    "f25",
                    "hyper",
                ])
                .prop_map(String::from),
            ];
            let mods = prop::collection::vec(
                prop::sample::select(vec!["ctrl-", "alt-", "shift-", "Ctrl-", "meta-"]),
                0..3,
            );
            (mods, key).prop_map(|(m, k)| format!("{}{k}", m.concat()))
        }

        fn key() -> impl Strategy<Value = String> {
            let mut known: Vec<String> =
                Section::ALL.iter().map(|s| s.name().to_string()).collect();
            known.extend(Action::ALL.iter().map(|a| a.name().to_string()));
            prop_oneof![prop::sample::select(known), "\\PC{0,8}"]
        }

        fn value() -> impl Strategy<Value = toml::Value> {
            let leaf = prop_oneof![
                chord_text().prop_map(toml::Value::String),
                "\\PC{0,10}".prop_map(toml::Value::String),
                any::<i64>().prop_map(toml::Value::Integer),
                any::<bool>().prop_map(toml::Value::Boolean),
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
            fn chord_parsing_never_panics(s in "\\PC{0,16}") {
                let _ = s.parse::<KeyChord>();
            }

            #[test]
            fn parsed_chords_round_trip_through_display(s in chord_text()) {
                if let Ok(c) = s.parse::<KeyChord>() {
                    let shown = c.to_string();
                    prop_assert_eq!(shown.parse::<KeyChord>(), Ok(c), "{} -> {}", s, shown);
                }
            }

            #[test]
            fn keymap_from_arbitrary_text_never_panics(s in "\\PC{0,200}") {
                let _ = Keymap::from_toml_str(&s, "keymap.toml");
            }

            #[test]
            fn keymap_from_arbitrary_toml_never_panics(
                m in prop::collection::btree_map(key(), value(), 0..6)
            ) {
                let table: toml::Table = m.into_iter().collect();
                if let Ok(text) = toml::to_string(&table)
                    && let Ok(km) = Keymap::from_toml_str(&text, "keymap.toml")
                {
                    // whatever loads is consistent both ways round
                    for s in Section::ALL {
                        for (a, keys) in km.bindings(s) {
                            for k in keys {
                                prop_assert_eq!(km.lookup(s, &k), Some(a));
                            }
                        }
                    }
                }
            }
        }
    }
}
