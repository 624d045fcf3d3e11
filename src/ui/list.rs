//! Moving a selection through a list with the shared `[list]` actions, for every list-like pane,
//! and the typed filter's line and the heading block above such a list.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::visible;
use crate::action::Action;
use crate::theme::Theme;

/// The `label: text` line of a typed filter, accented while the user types, muted after; `None`
/// when there is no filter to show.
pub fn filter_line(
    label: &str,
    filter: &str,
    typing: bool,
    theme: &Theme,
) -> Option<Line<'static>> {
    if !typing && filter.is_empty() {
        return None;
    }
    let style = if typing { theme.accent } else { theme.muted };
    Some(Line::from(vec![
        Span::styled(format!("{label}: "), style),
        Span::raw(visible(filter).into_owned()),
    ]))
}

/// A muted one-line message at the top of `area`, where a list has nothing to show.
pub fn render_empty(frame: &mut Frame, area: Rect, msg: &str, theme: &Theme) {
    frame.render_widget(
        Paragraph::new(Line::styled(msg.to_string(), theme.muted)),
        Rect::new(area.x, area.y, area.width, 1),
    );
}

/// Split `area` into a list on top (11/20 of it) and the selected item's details below, or give it
/// all to the list when it is lower than `min_height` rows.
pub fn list_and_detail(area: Rect, min_height: u16) -> (Rect, Rect) {
    let list_h = if area.height >= min_height {
        area.height * 11 / 20
    } else {
        area.height
    };
    (
        Rect::new(area.x, area.y, area.width, list_h),
        Rect::new(area.x, area.y + list_h, area.width, area.height - list_h),
    )
}

/// Draw `head` at the top of `area` (cut to its height) and return the area below it.
pub fn render_head(frame: &mut Frame, area: Rect, head: Vec<Line>) -> Rect {
    let head_h = (head.len() as u16).min(area.height);
    frame.render_widget(
        Paragraph::new(head),
        Rect::new(area.x, area.y, area.width, head_h),
    );
    Rect::new(area.x, area.y + head_h, area.width, area.height - head_h)
}

/// What a key did to a typed filter (the `/` filter of list panes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKey {
    /// Esc: the filter was emptied; stop typing.
    Cleared,
    /// Enter: keep the filter; stop typing.
    Kept,
    /// Backspace removed a character.
    Erased,
    /// A character was added (the selection goes back to the first match).
    Typed,
    /// Up or down: move the selection while typing.
    Up,
    Down,
    /// Not a filter key: the pane's bindings may take it.
    Other,
}

/// Apply `key` to `filter` as the list panes' typed filters do.
pub fn edit_filter(filter: &mut String, key: KeyEvent) -> FilterKey {
    match key.code {
        KeyCode::Esc => {
            filter.clear();
            FilterKey::Cleared
        }
        KeyCode::Enter => FilterKey::Kept,
        KeyCode::Backspace => {
            filter.pop();
            FilterKey::Erased
        }
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            filter.push(c);
            FilterKey::Typed
        }
        KeyCode::Up => FilterKey::Up,
        KeyCode::Down => FilterKey::Down,
        _ => FilterKey::Other,
    }
}

/// Apply a movement action to `selected` in a list of `len` items with `page` rows on screen.
/// Returns false when `action` is not a movement, so the pane can handle it.
pub fn move_selection(selected: &mut usize, action: Action, len: usize, page: usize) -> bool {
    let last = len.saturating_sub(1);
    let page = page.max(1);
    *selected = match action {
        Action::Up => selected.saturating_sub(1),
        Action::Down => (*selected + 1).min(last),
        Action::PageUp => selected.saturating_sub(page),
        Action::PageDown => (*selected + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return false,
    };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_keys() {
        let k = |c| KeyEvent::new(c, KeyModifiers::NONE);
        let mut f = String::new();
        assert_eq!(edit_filter(&mut f, k(KeyCode::Char('a'))), FilterKey::Typed);
        assert_eq!(edit_filter(&mut f, k(KeyCode::Char('b'))), FilterKey::Typed);
        assert_eq!(f, "ab");
        assert_eq!(
            edit_filter(&mut f, k(KeyCode::Backspace)),
            FilterKey::Erased
        );
        assert_eq!(f, "a");
        let ctrl = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(edit_filter(&mut f, ctrl), FilterKey::Other);
        assert_eq!(edit_filter(&mut f, k(KeyCode::Enter)), FilterKey::Kept);
        assert_eq!(f, "a");
        assert_eq!(edit_filter(&mut f, k(KeyCode::Esc)), FilterKey::Cleared);
        assert!(f.is_empty());
    }

    #[test]
    fn movements_stay_in_bounds() {
        let mut s = 0;
        assert!(move_selection(&mut s, Action::Up, 10, 3));
        assert_eq!(s, 0);
        move_selection(&mut s, Action::PageDown, 10, 3);
        assert_eq!(s, 3);
        move_selection(&mut s, Action::Bottom, 10, 3);
        assert_eq!(s, 9);
        move_selection(&mut s, Action::Down, 10, 3);
        assert_eq!(s, 9);
        move_selection(&mut s, Action::PageUp, 10, 30);
        assert_eq!(s, 0);
        assert!(!move_selection(&mut s, Action::Filter, 10, 3));
        move_selection(&mut s, Action::Bottom, 0, 3);
        assert_eq!(s, 0, "empty lists keep 0");
    }
}
