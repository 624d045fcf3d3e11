//! Where each part of the shell goes for a given window size. Pure arithmetic, unit-tested.

use ratatui::layout::Rect;

/// The smallest window the shell draws in; below it a "window too small" note is shown.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// Areas of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShellLayout {
    pub sidebar: Rect,
    pub tabs: Rect,
    pub main: Rect,
    pub status: Rect,
}

/// Split `area` into sidebar, tab line, main area and status bar; `None` when the window is too small.
pub fn shell(area: Rect) -> Option<ShellLayout> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    // The sidebar takes a quarter of the width, between 18 and 40 columns.
    let side_w = (area.width / 4).clamp(18, 40);
    let status = Rect::new(area.x, area.y + area.height - 1, area.width, 1);
    let body_h = area.height - 1;
    let sidebar = Rect::new(area.x, area.y, side_w, body_h);
    let main_x = area.x + side_w;
    let main_w = area.width - side_w;
    let tabs = Rect::new(main_x, area.y, main_w, 1);
    let main = Rect::new(main_x, area.y + 1, main_w, body_h - 1);
    Some(ShellLayout {
        sidebar,
        tabs,
        main,
        status,
    })
}

/// Split the query view into editor (top) and results (bottom): the editor gets 40%, at least 5 rows,
/// and the results at least 5.
pub fn query_split(main: Rect) -> (Rect, Rect) {
    let editor_h = (main.height * 2 / 5)
        .max(5)
        .min(main.height.saturating_sub(5));
    let editor = Rect::new(main.x, main.y, main.width, editor_h);
    let results = Rect::new(
        main.x,
        main.y + editor_h,
        main.width,
        main.height - editor_h,
    );
    (editor, results)
}

/// A centred rectangle of at most `w`×`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_small_windows_get_none() {
        assert!(shell(Rect::new(0, 0, 59, 40)).is_none());
        assert!(shell(Rect::new(0, 0, 120, 14)).is_none());
        assert!(shell(Rect::new(0, 0, 60, 15)).is_some());
    }

    #[test]
    fn areas_tile_the_window() {
        for (w, h) in [(60u16, 15u16), (80, 24), (140, 40), (300, 100)] {
            let l = shell(Rect::new(0, 0, w, h)).expect("big enough");
            assert_eq!(l.sidebar.width + l.main.width, w);
            assert_eq!(l.tabs.height + l.main.height + l.status.height, h);
            assert_eq!(l.sidebar.height + l.status.height, h);
            assert!(l.sidebar.width >= 18 && l.sidebar.width <= 40);
            let (ed, res) = query_split(l.main);
            assert_eq!(ed.height + res.height, l.main.height);
            assert!(ed.height >= 5 && res.height >= 5, "{w}x{h}: {ed:?} {res:?}");
        }
    }

    #[test]
    fn centered_fits_inside() {
        let a = Rect::new(10, 5, 50, 20);
        let c = centered(a, 100, 10);
        assert_eq!(c.width, 50);
        assert_eq!(c.y, 10);
    }
}
