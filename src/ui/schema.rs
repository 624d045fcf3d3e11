//! The schema sidebar: schemas, their relation groups and relations, with counts, a filter as you type,
//! and a preview of a relation's rows on `select`. Identifiers that leave this pane as SQL are quoted.

use std::collections::HashSet;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};

use super::grid::spinner;
use super::text::{truncate, visible, width};
use super::{Handled, Pane, RenderCx};
use crate::action::Action;
use crate::db::{Reply, Request, RequestId, Requests, Response};
use crate::model::catalog::{RelKind, SchemaTree};
use crate::model::ident::quote_ident;

/// A line of the flattened tree.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Schema {
        schema: usize,
        count: usize,
    },
    Group {
        schema: usize,
        group: u8,
        count: usize,
    },
    Relation {
        schema: usize,
        rel: usize,
    },
}

/// The schema pane.
#[derive(Default)]
pub struct SchemaPane {
    tree: Option<SchemaTree>,
    waiting: Option<RequestId>,
    error: Option<String>,
    expanded_schemas: HashSet<u32>,
    expanded_groups: HashSet<(u32, u8)>,
    show_system: bool,
    filter: String,
    filtering: bool,
    selected: usize,
    list_state: ListState,
    page: usize,
    /// SQL the app should run as a preview (set by `select` on a relation).
    preview: Option<String>,
}

impl SchemaPane {
    /// Ask for the tree.
    pub fn load(&mut self, requests: &Requests) {
        self.waiting = Some(requests.send(Request::LoadSchema));
    }

    /// Whether the tree has arrived.
    pub fn loaded(&self) -> bool {
        self.tree.is_some()
    }

    /// The preview statement requested by the user, once.
    pub fn take_preview(&mut self) -> Option<String> {
        self.preview.take()
    }

    /// The lines currently shown, as plain text (for tests and the startup benchmark's checks).
    pub fn visible_labels(&self) -> Vec<String> {
        let Some(tree) = &self.tree else {
            return vec![];
        };
        self.nodes()
            .iter()
            .map(|n| match n {
                Node::Schema { schema, .. } => tree.schemas[*schema].name.clone(),
                Node::Group { group, .. } => group_label(*group).to_string(),
                Node::Relation { schema, rel } => {
                    tree.schemas[*schema].relations[*rel].name.clone()
                }
            })
            .collect()
    }

    fn matches(&self, name: &str) -> bool {
        if self.filter.is_empty() {
            return true;
        }
        // Subsequence match, case-insensitive: "usrl" finds "user_roles".
        let mut hay = name.chars().flat_map(char::to_lowercase);
        self.filter
            .chars()
            .flat_map(char::to_lowercase)
            .all(|f| hay.any(|h| h == f))
    }

    fn nodes(&self) -> Vec<Node> {
        let Some(tree) = &self.tree else {
            return vec![];
        };
        let mut out = Vec::new();
        for (si, s) in tree.schemas.iter().enumerate() {
            if s.system && !self.show_system {
                continue;
            }
            let rels: Vec<usize> = (0..s.relations.len())
                .filter(|&ri| self.matches(&s.relations[ri].name))
                .collect();
            if !self.filter.is_empty() && rels.is_empty() && !self.matches(&s.name) {
                continue;
            }
            out.push(Node::Schema {
                schema: si,
                count: rels.len(),
            });
            let open = !self.filter.is_empty() || self.expanded_schemas.contains(&s.oid);
            if !open {
                continue;
            }
            let mut groups: Vec<u8> = rels
                .iter()
                .map(|&ri| s.relations[ri].kind.group_order())
                .collect();
            groups.sort_unstable();
            groups.dedup();
            for g in groups {
                let members: Vec<usize> = rels
                    .iter()
                    .copied()
                    .filter(|&ri| s.relations[ri].kind.group_order() == g)
                    .collect();
                out.push(Node::Group {
                    schema: si,
                    group: g,
                    count: members.len(),
                });
                if self.filter.is_empty() && !self.expanded_groups.contains(&(s.oid, g)) {
                    continue;
                }
                out.extend(members.into_iter().map(|ri| Node::Relation {
                    schema: si,
                    rel: ri,
                }));
            }
        }
        out
    }

    fn toggle(&mut self, node: &Node, open: Option<bool>) {
        let Some(tree) = &self.tree else { return };
        match *node {
            Node::Schema { schema, .. } => {
                let oid = tree.schemas[schema].oid;
                flip(&mut self.expanded_schemas, oid, open);
            }
            Node::Group { schema, group, .. } => {
                let oid = tree.schemas[schema].oid;
                flip(&mut self.expanded_groups, (oid, group), open);
            }
            Node::Relation { .. } => {}
        }
    }

    fn select(&mut self, node: &Node) {
        let Some(tree) = &self.tree else { return };
        match *node {
            Node::Relation { schema, rel } => {
                let s = &tree.schemas[schema];
                let r = &s.relations[rel];
                if r.kind == RelKind::Sequence {
                    self.preview = Some(format!(
                        "select * from {}.{};",
                        quote_ident(&s.name),
                        quote_ident(&r.name)
                    ));
                } else {
                    self.preview = Some(format!(
                        "select * from {}.{} limit 200;",
                        quote_ident(&s.name),
                        quote_ident(&r.name)
                    ));
                }
            }
            _ => self.toggle(node, None),
        }
    }

    fn on_tree(&mut self, tree: SchemaTree) {
        let first_load = self.tree.is_none();
        // Open the first user schema and its tables so the first frame shows something useful.
        if first_load && let Some(s) = tree.schemas.iter().find(|s| !s.system) {
            self.expanded_schemas.insert(s.oid);
            self.expanded_groups.insert((s.oid, 0));
        }
        self.tree = Some(tree);
        let n = self.nodes().len();
        self.selected = self.selected.min(n.saturating_sub(1));
    }
}

fn flip<T: std::hash::Hash + Eq>(set: &mut HashSet<T>, key: T, open: Option<bool>) {
    let want = open.unwrap_or(!set.contains(&key));
    if want {
        set.insert(key);
    } else {
        set.remove(&key);
    }
}

fn group_label(order: u8) -> &'static str {
    match order {
        0 => RelKind::Table.group_label(),
        1 => RelKind::View.group_label(),
        2 => RelKind::MaterializedView.group_label(),
        3 => RelKind::ForeignTable.group_label(),
        _ => RelKind::Sequence.group_label(),
    }
}

/// Row estimates in short form: 950, 12k, 3.4M.
fn short_count(n: f64) -> String {
    if n < 1000.0 {
        format!("{n:.0}")
    } else if n < 1e6 {
        format!("{:.0}k", n / 1e3)
    } else if n < 1e9 {
        format!("{:.1}M", n / 1e6)
    } else {
        format!("{:.1}G", n / 1e9)
    }
}

impl Pane for SchemaPane {
    fn update(&mut self, action: Action, requests: &Requests) -> Handled {
        let nodes = self.nodes();
        let n = nodes.len();
        if super::list::move_selection(&mut self.selected, action, n, self.page) {
            return Handled::Yes;
        }
        match action {
            Action::Right | Action::Left | Action::Toggle | Action::Select => {
                let Some(node) = nodes.get(self.selected).cloned() else {
                    return Handled::Yes;
                };
                match action {
                    Action::Right => self.toggle(&node, Some(true)),
                    Action::Left => {
                        // collapse, or jump to the parent when on a leaf / closed node
                        let parent = nodes[..self.selected].iter().rposition(|p| {
                            matches!(
                                (&node, p),
                                (Node::Relation { .. }, Node::Group { .. })
                                    | (Node::Group { .. }, Node::Schema { .. })
                            )
                        });
                        match (&node, parent) {
                            (Node::Relation { .. }, Some(p)) => self.selected = p,
                            _ => self.toggle(&node, Some(false)),
                        }
                    }
                    Action::Toggle => self.toggle(&node, None),
                    _ => self.select(&node),
                }
            }
            Action::Filter => self.filtering = true,
            Action::Back => {
                self.filter.clear();
                self.filtering = false;
            }
            Action::Refresh => self.load(requests),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn text_entry(&self) -> bool {
        self.filtering
    }

    fn input_first(&self) -> bool {
        self.filtering
    }

    fn input(&mut self, key: KeyEvent) -> bool {
        if !self.filtering {
            return false;
        }
        match key.code {
            KeyCode::Esc => {
                self.filter.clear();
                self.filtering = false;
            }
            KeyCode::Enter => self.filtering = false,
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                self.filter.push(c);
                self.selected = 0;
            }
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => self.selected += 1,
            _ => return false,
        }
        let n = self.nodes().len();
        self.selected = self.selected.min(n.saturating_sub(1));
        true
    }

    fn is_list(&self) -> bool {
        true
    }

    fn waits_for(&self, id: RequestId) -> bool {
        self.waiting == Some(id)
    }

    fn on_reply(&mut self, response: Response) {
        if response.last {
            self.waiting = None;
        }
        match response.reply {
            Ok(Reply::Schema(tree)) => {
                self.error = None;
                self.on_tree(tree);
            }
            Ok(_) => {}
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn render(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        let mut title = vec![Span::raw(" Schema ")];
        if let Some(t) = &self.tree {
            title.push(Span::styled(
                format!("{} tables ", t.table_count()),
                cx.theme.muted,
            ));
        }
        if self.waiting.is_some() {
            title.push(Span::styled(
                format!("{} ", spinner(cx.tick)),
                cx.theme.spinner,
            ));
        }
        let block = cx.block(Line::from(title));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if inner.height == 0 {
            return;
        }
        let mut list_area = inner;
        if self.filtering || !self.filter.is_empty() {
            let style = if self.filtering {
                cx.theme.accent
            } else {
                cx.theme.muted
            };
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled("/", style),
                    Span::raw(visible(&self.filter).into_owned()),
                ])),
                Rect::new(inner.x, inner.y, inner.width, 1),
            );
            list_area = Rect::new(
                inner.x,
                inner.y + 1,
                inner.width,
                inner.height.saturating_sub(1),
            );
        }
        if let Some(err) = &self.error {
            frame.render_widget(
                Paragraph::new(Line::styled(visible(err).into_owned(), cx.theme.error))
                    .wrap(ratatui::widgets::Wrap { trim: false }),
                list_area,
            );
            return;
        }
        let Some(tree) = &self.tree else {
            frame.render_widget(
                Paragraph::new(Line::styled("loading…", cx.theme.muted)),
                list_area,
            );
            return;
        };
        let nodes = self.nodes();
        self.page = list_area.height as usize;
        let w = list_area.width as usize;
        let items: Vec<ListItem> = nodes
            .iter()
            .map(|node| {
                let (indent, marker, name, right, style) = match *node {
                    Node::Schema { schema, count } => {
                        let s = &tree.schemas[schema];
                        let open =
                            !self.filter.is_empty() || self.expanded_schemas.contains(&s.oid);
                        (
                            0,
                            if open { "▾ " } else { "▸ " },
                            s.name.clone(),
                            count.to_string(),
                            cx.theme.title,
                        )
                    }
                    Node::Group {
                        schema,
                        group,
                        count,
                    } => {
                        let oid = tree.schemas[schema].oid;
                        let open =
                            !self.filter.is_empty() || self.expanded_groups.contains(&(oid, group));
                        (
                            2,
                            if open { "▾ " } else { "▸ " },
                            group_label(group).to_string(),
                            count.to_string(),
                            cx.theme.muted,
                        )
                    }
                    Node::Relation { schema, rel } => {
                        let r = &tree.schemas[schema].relations[rel];
                        let style = if !r.readable || r.is_partition {
                            cx.theme.muted
                        } else {
                            cx.theme.base
                        };
                        let right = if !r.readable {
                            "no access".to_string()
                        } else if r.kind == RelKind::PartitionedTable {
                            // narrow sidebars keep room for the name
                            if w < 30 { "part." } else { "partitioned" }.to_string()
                        } else if matches!(r.kind, RelKind::Table | RelKind::MaterializedView) {
                            short_count(r.estimated_rows)
                        } else {
                            String::new()
                        };
                        (4, "", r.name.clone(), right, style)
                    }
                };
                let name = visible(&name).into_owned();
                let left_w = w.saturating_sub(width(&right) + 1);
                let label =
                    truncate(&format!("{}{marker}{name}", " ".repeat(indent)), left_w).into_owned();
                let pad = w.saturating_sub(width(&label) + width(&right));
                ListItem::new(Line::from(vec![
                    Span::styled(label, style),
                    Span::raw(" ".repeat(pad)),
                    Span::styled(right, cx.theme.muted),
                ]))
            })
            .collect();
        if items.is_empty() {
            let msg = if self.filter.is_empty() {
                "no schemas"
            } else {
                "nothing matches"
            };
            frame.render_widget(Paragraph::new(Line::styled(msg, cx.theme.muted)), list_area);
            return;
        }
        self.list_state
            .select(Some(self.selected.min(items.len() - 1)));
        let list = List::new(items).highlight_style(if cx.focused {
            cx.theme.selection
        } else {
            cx.theme.base
        });
        frame.render_stateful_widget(list, list_area, &mut self.list_state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::{Relation, Schema};

    fn tree() -> SchemaTree {
        let rel = |oid, name: &str, kind| Relation {
            oid,
            name: name.into(),
            kind,
            is_partition: false,
            estimated_rows: 10.0,
            readable: true,
            parent_oid: None,
            partition_bound: None,
        };
        SchemaTree {
            schemas: vec![
                Schema {
                    oid: 1,
                    name: "public".into(),
                    system: false,
                    relations: vec![
                        rel(10, "users", RelKind::Table),
                        rel(11, "user_roles", RelKind::Table),
                        rel(12, "active_users", RelKind::View),
                    ],
                    routines: vec![],
                    types: vec![],
                },
                Schema {
                    oid: 2,
                    name: "pg_catalog".into(),
                    system: true,
                    relations: vec![rel(20, "pg_class", RelKind::Table)],
                    routines: vec![],
                    types: vec![],
                },
            ],
            ..SchemaTree::default()
        }
    }

    #[test]
    fn first_user_schema_opens_with_its_tables() {
        let mut p = SchemaPane::default();
        p.on_tree(tree());
        assert_eq!(
            p.visible_labels(),
            vec!["public", "tables", "users", "user_roles", "views"]
        );
    }

    #[test]
    fn filter_is_a_case_insensitive_subsequence() {
        let mut p = SchemaPane::default();
        p.on_tree(tree());
        p.filter = "URl".into();
        assert_eq!(p.visible_labels(), vec!["public", "tables", "user_roles"]);
    }

    #[test]
    fn select_on_a_relation_asks_for_a_quoted_preview() {
        let mut p = SchemaPane::default();
        let mut t = tree();
        t.schemas[0].relations[0].name = "x\"; drop table y; --".into();
        p.on_tree(t);
        let (req, _rx) = Requests::detached();
        p.selected = 2;
        p.update(Action::Select, &req);
        assert_eq!(
            p.take_preview().as_deref(),
            Some("select * from public.\"x\"\"; drop table y; --\" limit 200;")
        );
    }
}
