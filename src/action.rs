//! What a user can bind to a key. An `Action` names an intent (`run_statement`, `focus_activity`); it never
//! carries query text or data. Keymaps refer to actions by their snake_case names.

use serde::{Deserialize, Serialize};

/// Everything a key can be bound to. The snake_case name is the one used in keymap TOML files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // global
    Quit,
    Help,
    FocusSchema,
    FocusEditor,
    FocusResults,
    FocusPlan,
    FocusActivity,
    FocusHealth,
    NextPane,
    PrevPane,
    Refresh,
    // editor
    RunStatement,
    CancelStatement,
    RunAll,
    Undo,
    Redo,
    Find,
    FindNext,
    FindPrev,
    Replace,
    NewBuffer,
    CloseBuffer,
    NextBuffer,
    PrevBuffer,
    RenameBuffer,
    HistorySearch,
    Complete,
    Copy,
    Export,
    ToggleExpanded,
    Mark,
    // health report
    /// Put the selected finding's fix SQL into the editor (never runs it).
    EditFix,
    /// Switch the health pane between its findings and the settings view.
    ShowSettings,
    /// Settings view: only the parameters changed from their defaults, or all.
    ChangedOnly,
    // plan
    Explain,
    ExplainAnalyze,
    UseSuggestion,
    /// pin the shown plan as "before": the next plan is shown side by side with it
    PinPlan,
    // activity monitor
    /// cancel the selected session's statement (asks first)
    CancelSession,
    /// terminate the selected session (asks first)
    TerminateSession,
    /// sort by the next column
    CycleSort,
    /// reverse the sort order
    ReverseSort,
    /// hide or show idle sessions
    ToggleIdle,
    /// show only sessions waiting on a lock, or all
    ToggleWaiting,
    /// pause or resume refreshing
    Pause,
    /// refresh less often
    IntervalUp,
    /// refresh more often
    IntervalDown,
    /// next view: sessions, lock tree, top statements
    NextView,
    /// health: show only the next group's findings (all, indexes, tables, ...)
    CycleGroup,
    /// put the statement into the editor (it is not run)
    OpenInEditor,
    /// put EXPLAIN of the statement into the editor (it is not run)
    ExplainStatement,
    /// reset pg_stat_statements (asks first)
    ResetStatements,
    // lists and trees
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Filter,
    Select,
    Toggle,
    Back,
    // schema browser
    ShowDetail,
    ShowDdl,
    CopyName,
    GenerateSelect,
    CountRows,
    ToggleSystem,
    OpenFindings,
    // modal dialogs
    Confirm,
    Dismiss,
}

impl Action {
    /// Every action, in the order the help overlay lists them.
    pub const ALL: &'static [Action] = &[
        Action::Quit,
        Action::Help,
        Action::FocusSchema,
        Action::FocusEditor,
        Action::FocusResults,
        Action::FocusPlan,
        Action::FocusActivity,
        Action::FocusHealth,
        Action::NextPane,
        Action::PrevPane,
        Action::Refresh,
        Action::RunStatement,
        Action::CancelStatement,
        Action::RunAll,
        Action::Undo,
        Action::Redo,
        Action::Find,
        Action::FindNext,
        Action::FindPrev,
        Action::Replace,
        Action::NewBuffer,
        Action::CloseBuffer,
        Action::NextBuffer,
        Action::PrevBuffer,
        Action::RenameBuffer,
        Action::HistorySearch,
        Action::Complete,
        Action::Copy,
        Action::Export,
        Action::ToggleExpanded,
        Action::Mark,
        Action::EditFix,
        Action::ShowSettings,
        Action::ChangedOnly,
        Action::Explain,
        Action::ExplainAnalyze,
        Action::UseSuggestion,
        Action::PinPlan,
        Action::CancelSession,
        Action::TerminateSession,
        Action::CycleSort,
        Action::ReverseSort,
        Action::ToggleIdle,
        Action::ToggleWaiting,
        Action::Pause,
        Action::IntervalUp,
        Action::IntervalDown,
        Action::NextView,
        Action::CycleGroup,
        Action::OpenInEditor,
        Action::ExplainStatement,
        Action::ResetStatements,
        Action::Up,
        Action::Down,
        Action::Left,
        Action::Right,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Filter,
        Action::Select,
        Action::Toggle,
        Action::Back,
        Action::ShowDetail,
        Action::ShowDdl,
        Action::CopyName,
        Action::GenerateSelect,
        Action::CountRows,
        Action::ToggleSystem,
        Action::OpenFindings,
        Action::Confirm,
        Action::Dismiss,
    ];

    /// The snake_case name used in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::FocusSchema => "focus_schema",
            Action::FocusEditor => "focus_editor",
            Action::FocusResults => "focus_results",
            Action::FocusPlan => "focus_plan",
            Action::FocusActivity => "focus_activity",
            Action::FocusHealth => "focus_health",
            Action::NextPane => "next_pane",
            Action::PrevPane => "prev_pane",
            Action::Refresh => "refresh",
            Action::RunStatement => "run_statement",
            Action::CancelStatement => "cancel_statement",
            Action::RunAll => "run_all",
            Action::Undo => "undo",
            Action::Redo => "redo",
            Action::Find => "find",
            Action::FindNext => "find_next",
            Action::FindPrev => "find_prev",
            Action::Replace => "replace",
            Action::NewBuffer => "new_buffer",
            Action::CloseBuffer => "close_buffer",
            Action::NextBuffer => "next_buffer",
            Action::PrevBuffer => "prev_buffer",
            Action::RenameBuffer => "rename_buffer",
            Action::HistorySearch => "history_search",
            Action::Complete => "complete",
            Action::Copy => "copy",
            Action::Export => "export",
            Action::ToggleExpanded => "toggle_expanded",
            Action::Explain => "explain",
            Action::ExplainAnalyze => "explain_analyze",
            Action::UseSuggestion => "use_suggestion",
            Action::PinPlan => "pin_plan",
            Action::Mark => "mark",
            Action::EditFix => "edit_fix",
            Action::ShowSettings => "show_settings",
            Action::ChangedOnly => "changed_only",
            Action::CancelSession => "cancel_session",
            Action::TerminateSession => "terminate_session",
            Action::CycleSort => "cycle_sort",
            Action::ReverseSort => "reverse_sort",
            Action::ToggleIdle => "toggle_idle",
            Action::ToggleWaiting => "toggle_waiting",
            Action::Pause => "pause",
            Action::IntervalUp => "interval_up",
            Action::IntervalDown => "interval_down",
            Action::NextView => "next_view",
            Action::CycleGroup => "cycle_group",
            Action::OpenInEditor => "open_in_editor",
            Action::ExplainStatement => "explain_statement",
            Action::ResetStatements => "reset_statements",

            Action::Up => "up",
            Action::Down => "down",
            Action::Left => "left",
            Action::Right => "right",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Filter => "filter",
            Action::Select => "select",
            Action::Toggle => "toggle",
            Action::Back => "back",
            Action::ShowDetail => "show_detail",
            Action::ShowDdl => "show_ddl",
            Action::CopyName => "copy_name",
            Action::GenerateSelect => "generate_select",
            Action::CountRows => "count_rows",
            Action::ToggleSystem => "toggle_system",
            Action::OpenFindings => "open_findings",
            Action::Confirm => "confirm",
            Action::Dismiss => "dismiss",
        }
    }

    /// A short description for the help overlay.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit pgdeck",
            Action::Help => "show this help",
            Action::FocusSchema => "focus the schema browser",
            Action::FocusEditor => "focus the query editor",
            Action::FocusResults => "focus the results grid",
            Action::FocusPlan => "focus the plan view",
            Action::FocusActivity => "focus the activity monitor",
            Action::FocusHealth => "focus the health report",
            Action::NextPane => "next pane",
            Action::PrevPane => "previous pane",
            Action::Refresh => "refresh the focused pane",
            Action::RunStatement => "run the statement under the cursor (or the selection)",
            Action::CancelStatement => "cancel the running statement",
            Action::RunAll => "run the whole buffer",
            Action::Undo => "undo",
            Action::Redo => "redo",
            Action::Find => "find text in the buffer",
            Action::FindNext => "next match",
            Action::FindPrev => "previous match",
            Action::Replace => "find and replace in the buffer",
            Action::NewBuffer => "new editor tab",
            Action::CloseBuffer => "close the editor tab",
            Action::NextBuffer => "next editor tab",
            Action::PrevBuffer => "previous editor tab",
            Action::RenameBuffer => "rename the editor tab",
            Action::HistorySearch => "search the statement history",
            Action::Complete => "complete the word under the cursor",
            Action::Copy => "copy cell, row, column, selection or all (choose the format)",
            Action::Export => "export the result to a file (csv, json, md, tsv)",
            Action::ToggleExpanded => "expanded record view (like psql's \\x)",
            Action::Mark => "start or end a selection",
            Action::EditFix => {
                "put the finding's (or the parameter's recommended) fix SQL into the editor (it is not run)"
            }
            Action::ShowSettings => {
                "settings view: every server parameter, its source and the recommendation; again: back to the findings"
            }
            Action::ChangedOnly => {
                "settings view: only the parameters changed from their defaults, or all"
            }
            Action::Explain => "EXPLAIN the statement under the cursor (the plan pane shows it)",
            Action::ExplainAnalyze => {
                "EXPLAIN ANALYZE the statement under the cursor (writes are rolled back)"
            }
            Action::UseSuggestion => "put the selected advice's fix into the editor (not run)",
            Action::PinPlan => {
                "pin the plan as \"before\": the next plan is compared with it, side by side (again: unpin)"
            }
            Action::CancelSession => "cancel the selected session's statement (asks first)",
            Action::TerminateSession => "terminate the selected session (asks first)",
            Action::CycleSort => "sort by the next column",
            Action::ReverseSort => "reverse the sort order",
            Action::ToggleIdle => "hide or show idle sessions",
            Action::ToggleWaiting => "show only sessions waiting on a lock, or all",
            Action::Pause => "pause or resume refreshing",
            Action::IntervalUp => "refresh less often",
            Action::IntervalDown => "refresh more often",
            Action::NextView => "next view: sessions, lock tree, top statements",
            Action::CycleGroup => "show only the next group's findings (all, indexes, tables...)",
            Action::OpenInEditor => "put the statement into the editor (it is not run)",
            Action::ExplainStatement => {
                "put EXPLAIN of the statement into the editor (it is not run)"
            }
            Action::ResetStatements => "reset pg_stat_statements (asks first)",

            Action::Up => "move up",
            Action::Down => "move down",
            Action::Left => "move left / collapse",
            Action::Right => "move right / expand",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "go to the top",
            Action::Bottom => "go to the bottom",
            Action::Filter => "filter the list",
            Action::Select => "open / select",
            Action::Toggle => "expand or collapse (tree), next result set (results)",
            Action::Back => "clear the filter / go back",
            Action::ShowDetail => "show the table's detail (columns, indexes, sizes, activity...)",
            Action::ShowDdl => "show the object's DDL; again puts it into the editor (not run)",
            Action::CopyName => "copy the object's qualified, quoted name",
            Action::GenerateSelect => "put a SELECT with every column into the editor",
            Action::CountRows => "count the table's rows exactly (with a timeout)",
            Action::ToggleSystem => "show or hide system schemas",
            Action::OpenFindings => "the health pane, filtered to this table's findings",
            Action::Confirm => "confirm",
            Action::Dismiss => "dismiss",
        }
    }
}

impl std::str::FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .iter()
            .copied()
            .find(|a| a.name() == s)
            .ok_or_else(|| format!("unknown action `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_from_str() {
        for &a in Action::ALL {
            let json = serde_json::to_string(&a).expect("serialize");
            assert_eq!(json, format!("\"{}\"", a.name()));
            assert_eq!(a.name().parse::<Action>(), Ok(a));
        }
        assert!("run_statment".parse::<Action>().is_err());
    }
}
