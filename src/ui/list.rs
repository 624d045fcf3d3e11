//! Moving a selection through a list with the shared `[list]` actions, for every list-like pane.

use crate::action::Action;

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
