//! Drawing and per-pane input. Panes hold view state and draw it; they send requests through
//! [`Requests`] and take replies in `on_reply`. Nothing here imports tokio-postgres or awaits anything.

pub mod activity;
pub mod confirm;
pub mod editor;
pub mod grid;
pub mod health;
pub mod help;
pub mod highlight;
pub mod history;
pub mod layout;
pub mod list;
pub mod migrations;
pub mod plan;
pub mod plan_compare;
pub mod schema;
pub mod settings;
pub mod status;
pub mod text;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use crate::action::Action;
use crate::db::{Requests, Response};
use crate::keymap::{Keymap, Section};
use crate::theme::Theme;

/// The panes of the shell, in focus-cycling order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    Schema,
    Editor,
    Results,
    Plan,
    Activity,
    Health,
}

impl PaneId {
    /// Cycling order for `next_pane`/`prev_pane`.
    pub const ORDER: [PaneId; 6] = [
        PaneId::Schema,
        PaneId::Editor,
        PaneId::Results,
        PaneId::Plan,
        PaneId::Activity,
        PaneId::Health,
    ];

    /// The keymap section with this pane's own bindings.
    pub fn section(self) -> Section {
        match self {
            PaneId::Schema => Section::Schema,
            PaneId::Editor => Section::Editor,
            PaneId::Results => Section::Results,
            PaneId::Plan => Section::Plan,
            PaneId::Activity => Section::Activity,
            PaneId::Health => Section::Health,
        }
    }

    /// The action that focuses this pane.
    pub fn focus_action(self) -> Action {
        match self {
            PaneId::Schema => Action::FocusSchema,
            PaneId::Editor => Action::FocusEditor,
            PaneId::Results => Action::FocusResults,
            PaneId::Plan => Action::FocusPlan,
            PaneId::Activity => Action::FocusActivity,
            PaneId::Health => Action::FocusHealth,
        }
    }

    /// The pane a focus action names.
    pub fn from_focus_action(a: Action) -> Option<PaneId> {
        PaneId::ORDER.into_iter().find(|p| p.focus_action() == a)
    }

    /// Title shown in borders and tabs.
    pub fn title(self) -> &'static str {
        match self {
            PaneId::Schema => "Schema",
            PaneId::Editor => "Query",
            PaneId::Results => "Results",
            PaneId::Plan => "Plan",
            PaneId::Activity => "Activity",
            PaneId::Health => "Health",
        }
    }

    /// The main-area view that shows this pane (the schema sidebar is always visible).
    pub fn view(self) -> View {
        match self {
            PaneId::Schema | PaneId::Editor | PaneId::Results => View::Query,
            PaneId::Plan => View::Plan,
            PaneId::Activity => View::Activity,
            PaneId::Health => View::Health,
        }
    }
}

/// What the main area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Query,
    Plan,
    Activity,
    Health,
}

impl View {
    pub const ALL: [View; 4] = [View::Query, View::Plan, View::Activity, View::Health];

    pub fn title(self) -> &'static str {
        match self {
            View::Query => "Query",
            View::Plan => "Plan",
            View::Activity => "Activity",
            View::Health => "Health",
        }
    }

    /// The pane focused when the user switches to this view.
    pub fn main_pane(self) -> PaneId {
        match self {
            View::Query => PaneId::Editor,
            View::Plan => PaneId::Plan,
            View::Activity => PaneId::Activity,
            View::Health => PaneId::Health,
        }
    }
}

/// What a pane needs from the app to draw itself.
pub struct RenderCx<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    pub focused: bool,
    /// Advances every tick; drives spinners.
    pub tick: u64,
}

impl RenderCx<'_> {
    /// The bordered block every pane draws in, with the focus shown by border style and type.
    pub fn block<'t>(&self, title: impl Into<Line<'t>>) -> Block<'t> {
        let (border, title_style, kind) = if self.focused {
            (
                self.theme.border_focused,
                self.theme.title_focused,
                BorderType::Thick,
            )
        } else {
            (self.theme.border, self.theme.title, BorderType::Plain)
        };
        Block::default()
            .borders(Borders::ALL)
            .border_type(kind)
            .border_style(border)
            .title(title.into().style(title_style))
            .style(self.theme.base)
    }

    /// "key: what" hint spans for the first key bound to `action` in `section`.
    pub fn hint(&self, section: Section, action: Action, what: &str) -> Vec<Span<'static>> {
        match self.keymap.keys_for(section, action).first() {
            Some(k) => vec![
                Span::styled(k.to_string(), self.theme.status_key),
                Span::styled(format!(" {what}  "), self.theme.muted),
            ],
            None => vec![],
        }
    }

    pub fn style(&self) -> Style {
        self.theme.base
    }
}

/// How a pane answered an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Yes,
    No,
}

/// The small interface every pane implements; the app holds the panes as concrete fields.
pub trait Pane {
    /// Apply an action meant for this pane. Returns whether it was used.
    fn update(&mut self, action: Action, requests: &Requests) -> Handled;
    /// Whether keys that no binding claims go to a text field of this pane.
    fn text_entry(&self) -> bool {
        false
    }
    /// Whether the text field takes keys before any binding (a filter being typed: `enter` ends it
    /// rather than opening the selected item). The editor answers false: its bindings (f5...) come first.
    fn input_first(&self) -> bool {
        false
    }
    /// Feed a key to the pane's text field; returns whether it used the key.
    fn input(&mut self, _key: KeyEvent) -> bool {
        false
    }
    /// Whether the pane uses the shared `[list]` bindings.
    fn is_list(&self) -> bool {
        false
    }
    /// Whether the pane waits for replies to request `id`.
    fn waits_for(&self, id: crate::db::RequestId) -> bool;
    /// A reply it waits for.
    fn on_reply(&mut self, response: Response);
    /// Draw into `area`.
    fn render(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx);
}
