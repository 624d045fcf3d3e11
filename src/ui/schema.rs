//! The schema sidebar: schemas, their relation groups and relations, with counts, a filter as you type,
//! and a preview of a relation's rows on `select`. Identifiers that leave this pane as SQL are quoted.
//! On a relation it also opens the table's detail or its DDL (drawn over the main area by the app),
//! counts rows exactly, copies the qualified name and writes a SELECT of every column for the editor.
//! A schema holding a migration tool's history table gets a `migrations` node that opens the applied
//! history (laid out by `ui::migrations`).

use super::list::{FilterKey, edit_filter};
use std::collections::HashSet;

use crossterm::event::KeyEvent;
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
use crate::model::health::Finding;
use crate::model::ident::quote_ident;
use crate::model::table_detail::{LineKind, TableDetail};

/// What the detail area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DetailMode {
    Detail,
    Ddl,
    /// The applied history of a migration tool's table.
    Migrations,
}

/// The health findings of the table in the detail view.
#[derive(Debug)]
enum TableFindings {
    Loading,
    Loaded {
        findings: Vec<Finding>,
        /// Checks that could not run, with why.
        failed: Vec<(String, String)>,
        /// Taken from the last health report rather than checked for this table now.
        from_report: bool,
    },
    Failed(String),
}

/// The detail (or DDL) of one relation, drawn over the main area while open.
#[derive(Debug)]
struct DetailView {
    oid: u32,
    schema: String,
    name: String,
    mode: DetailMode,
    detail: Option<TableDetail>,
    ddl: Option<String>,
    error: Option<String>,
    /// An exact count, when asked for.
    count: Option<i64>,
    migrations: Option<crate::model::migrations::History>,
    /// The table's health findings (tables, partitioned tables, materialized and foreign tables).
    findings: Option<TableFindings>,
    scroll: usize,
}

impl DetailView {
    fn title(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }
}

/// The `pg_class.relkind` letter of a tree kind, as `db::ddl` names objects.
fn relkind_code(kind: RelKind) -> &'static str {
    match kind {
        RelKind::Table => "rel:r",
        RelKind::PartitionedTable => "rel:p",
        RelKind::View => "rel:v",
        RelKind::MaterializedView => "rel:m",
        RelKind::ForeignTable => "rel:f",
        RelKind::Sequence => "rel:S",
    }
}

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
        /// 0 for a table, 1+ for partitions shown under their parent.
        depth: u8,
    },
    Routine {
        schema: usize,
        idx: usize,
    },
    Type {
        schema: usize,
        idx: usize,
    },
    /// A trigger or policy (index into the tree's members).
    Member {
        schema: usize,
        idx: usize,
    },
    /// `extensions` (0) or `roles` (1), after the schemas; `databases` (2), before them.
    Section {
        which: u8,
        count: usize,
    },
    /// A database of the cluster (index into the tree's databases): `select` switches to it.
    Database {
        idx: usize,
    },
    Extension {
        idx: usize,
    },
    Role {
        idx: usize,
    },
    /// A migration tool's history table (a relation of the schema), opening its applied history.
    Migrations {
        schema: usize,
        rel: usize,
    },
}

/// The databases section.
const SECTION_DATABASES: u8 = 2;

/// Group numbers after the relation kinds' (0-4).
const GROUP_FUNCTIONS: u8 = 5;
const GROUP_TYPES: u8 = 6;
const GROUP_TRIGGERS: u8 = 7;
const GROUP_POLICIES: u8 = 8;

/// The schema pane.
#[derive(Default)]
pub struct SchemaPane {
    tree: Option<SchemaTree>,
    waiting: Option<RequestId>,
    error: Option<String>,
    expanded_schemas: HashSet<u32>,
    expanded_groups: HashSet<(u32, u8)>,
    /// Partitioned tables whose partitions are shown.
    expanded_parts: HashSet<u32>,
    /// Extensions (0) and roles (1) sections that are open.
    expanded_sections: HashSet<u8>,
    /// Partitions by parent oid, (schema index, relation index); built when the tree arrives.
    children: std::collections::HashMap<u32, Vec<(usize, usize)>>,
    /// Triggers and policies by schema oid (indexes into the tree's members).
    members_by_schema: std::collections::HashMap<u32, Vec<usize>>,
    show_system: bool,
    filter: String,
    filtering: bool,
    selected: usize,
    list_state: ListState,
    page: usize,
    /// SQL the app should run as a preview (set by `select` on a relation).
    preview: Option<String>,
    /// SQL the app should put into the editor (not run).
    to_editor: Option<String>,
    /// Text the app should copy.
    clipboard: Option<String>,
    /// A message for the status bar.
    message: Option<String>,
    detail: Option<DetailView>,
    /// Detail, DDL and count requests in flight.
    pending: Vec<RequestId>,
    /// `select` on a function or type: open its DDL on the next update.
    select_ddl: bool,
    /// First node drawn (the tree draws only the window it shows).
    offset: usize,
    /// The flattened tree, rebuilt only when the tree, the filter or an expansion changes.
    nodes_cache: std::cell::RefCell<Option<std::rc::Rc<Vec<Node>>>>,
    /// Put a SELECT of every column into the editor when this table's detail arrives.
    select_when_loaded: Option<u32>,
    detail_page: usize,
    /// The database the user chose to switch to (the app asks, reconnects and reloads).
    switch_to: Option<String>,
    /// A detail view wants its table's health findings: (oid, schema, table). The app answers
    /// from the last health report or asks the monitor connection.
    findings_wanted: Option<(u32, String, String)>,
    /// The request for the open detail's findings.
    findings_req: Option<RequestId>,
    /// The user asked for a table's findings in the health pane: (schema, table).
    open_findings: Option<(String, String)>,
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

    /// SQL for the editor (DDL, generated SELECT), once.
    pub fn take_editor_text(&mut self) -> Option<String> {
        self.to_editor.take()
    }

    /// Text to copy (a qualified name), once.
    pub fn take_clipboard(&mut self) -> Option<String> {
        self.clipboard.take()
    }

    /// A status-bar message, once.
    pub fn take_message(&mut self) -> Option<String> {
        self.message.take()
    }

    /// The table whose findings the open detail needs (oid, schema, table), once.
    pub fn take_findings_wanted(&mut self) -> Option<(u32, String, String)> {
        self.findings_wanted.take()
    }

    /// The findings of the open detail's table are being loaded by request `id`.
    pub fn findings_requested(&mut self, id: RequestId) {
        self.findings_req = Some(id);
    }

    /// Findings for the detail of table `oid` (from the health report or a check for it).
    pub fn set_findings(
        &mut self,
        oid: u32,
        findings: Vec<Finding>,
        failed: Vec<(String, String)>,
        from_report: bool,
    ) {
        if let Some(d) = &mut self.detail
            && d.oid == oid
        {
            d.findings = Some(TableFindings::Loaded {
                findings,
                failed,
                from_report,
            });
        }
    }

    /// The table whose findings the user wants in the health pane (schema, table), once.
    pub fn take_open_findings(&mut self) -> Option<(String, String)> {
        self.open_findings.take()
    }

    /// The database the user chose in the tree, once.
    pub fn take_switch(&mut self) -> Option<String> {
        self.switch_to.take()
    }

    /// Forget everything of the database left (tree, expansions, open detail, requests in flight)
    /// and load the tree of the one now connected to. The system-schema toggle stays.
    pub fn reset(&mut self, requests: &Requests) {
        let show_system = self.show_system;
        *self = SchemaPane {
            show_system,
            ..SchemaPane::default()
        };
        self.load(requests);
    }

    /// Close the detail or DDL view.
    pub fn close_detail(&mut self) {
        self.detail = None;
    }

    /// Whether a detail or DDL view is open (the app draws it over the main area).
    pub fn detail_open(&self) -> bool {
        self.detail.is_some()
    }

    /// The lines of the open detail view, as plain text (for tests).
    pub fn detail_text(&self) -> Vec<String> {
        self.detail_lines().into_iter().map(|(_, l)| l).collect()
    }

    fn detail_lines(&self) -> Vec<(LineKind, String)> {
        let Some(d) = &self.detail else {
            return vec![];
        };
        let mut lines = vec![(LineKind::Title, d.title())];
        if let Some(e) = &d.error {
            lines.push((LineKind::Warn, e.clone()));
            return lines;
        }
        match d.mode {
            DetailMode::Detail => match &d.detail {
                Some(t) => {
                    lines = t.lines();
                    if let Some(n) = d.count {
                        lines.insert(1, (LineKind::Text, format!("{n} rows (exact count)")));
                    }
                    if let Some(f) = &d.findings {
                        findings_lines(&mut lines, f);
                    }
                }
                None => lines.push((LineKind::Text, "loading…".into())),
            },
            DetailMode::Ddl => match &d.ddl {
                Some(t) => lines.extend(t.lines().map(|l| (LineKind::Text, l.to_string()))),
                None => lines.push((LineKind::Text, "loading…".into())),
            },
            DetailMode::Migrations => match &d.migrations {
                Some(h) => lines = h.lines(),
                None => lines.push((LineKind::Text, "loading…".into())),
            },
        }
        lines
    }

    /// The relation under the cursor: (schema, name, oid, kind).
    fn current_relation(&self) -> Option<(String, String, u32, RelKind)> {
        let tree = self.tree.as_ref()?;
        match self.nodes().get(self.selected)? {
            Node::Relation { schema, rel, .. } | Node::Migrations { schema, rel } => {
                let s = &tree.schemas[*schema];
                let r = &s.relations[*rel];
                Some((s.name.clone(), r.name.clone(), r.oid, r.kind))
            }
            _ => None,
        }
    }

    /// The object under the cursor that has DDL: (schema, name, oid, `db::ddl` kind, relation kind).
    fn current_object(&self) -> Option<(String, String, u32, String, Option<RelKind>)> {
        let tree = self.tree.as_ref()?;
        match self.nodes().get(self.selected)? {
            Node::Relation { schema, rel, .. } | Node::Migrations { schema, rel } => {
                let s = &tree.schemas[*schema];
                let r = &s.relations[*rel];
                let kind = relkind_code(r.kind).to_string();
                Some((s.name.clone(), r.name.clone(), r.oid, kind, Some(r.kind)))
            }
            Node::Routine { schema, idx } => {
                let s = &tree.schemas[*schema];
                let r = &s.routines[*idx];
                Some((s.name.clone(), r.signature(), r.oid, "fn:f".into(), None))
            }
            Node::Type { schema, idx } => {
                let s = &tree.schemas[*schema];
                let t = &s.types[*idx];
                Some((s.name.clone(), t.name.clone(), t.oid, "type:".into(), None))
            }
            // a trigger or policy opens its table
            Node::Member { schema, idx } => {
                let s = &tree.schemas[*schema];
                let m = &tree.members[*idx];
                Some((
                    s.name.clone(),
                    m.table.clone(),
                    m.table_oid,
                    "rel:r".into(),
                    Some(RelKind::Table),
                ))
            }
            _ => None,
        }
    }

    fn open_detail(&mut self, mode: DetailMode, requests: &Requests) {
        let Some((schema, name, oid, ddl_kind, rel_kind)) = self.current_object() else {
            return;
        };
        // `d` on an open DDL puts it into the editor.
        if mode == DetailMode::Ddl
            && let Some(d) = &self.detail
            && d.oid == oid
            && d.mode == DetailMode::Ddl
            && let Some(text) = &d.ddl
        {
            self.to_editor = Some(text.clone());
            return;
        }
        let keep = self.detail.take().filter(|d| d.oid == oid);
        let mut view = keep.unwrap_or(DetailView {
            oid,
            schema,
            name,
            mode,
            detail: None,
            ddl: None,
            error: None,
            count: None,
            migrations: None,
            findings: None,
            scroll: 0,
        });
        view.mode = mode;
        view.scroll = 0;
        view.error = None;
        match mode {
            DetailMode::Detail if view.detail.is_none() => {
                if !matches!(
                    rel_kind,
                    Some(
                        RelKind::Table
                            | RelKind::PartitionedTable
                            | RelKind::MaterializedView
                            | RelKind::ForeignTable
                            | RelKind::View
                    )
                ) {
                    view.error = Some("no table detail for this object; `d` shows its DDL".into());
                } else {
                    self.pending
                        .push(requests.send(Request::LoadTableDetail { oid }));
                    // views have no findings of their own
                    if view.findings.is_none() && rel_kind != Some(RelKind::View) {
                        view.findings = Some(TableFindings::Loading);
                        self.findings_wanted = Some((oid, view.schema.clone(), view.name.clone()));
                    }
                }
            }
            DetailMode::Ddl if view.ddl.is_none() => {
                self.pending.push(requests.send(Request::LoadDdl {
                    oid,
                    kind: ddl_kind,
                }));
            }
            DetailMode::Migrations if view.migrations.is_none() => {
                self.pending.push(requests.send(Request::LoadMigrations {
                    schema: view.schema.clone(),
                    table: view.name.clone(),
                }));
            }
            _ => {}
        }
        self.detail = Some(view);
    }

    fn detail_update(&mut self, action: Action) -> bool {
        let Some(d) = &mut self.detail else {
            return false;
        };
        let page = self.detail_page.max(1);
        match action {
            Action::Up => d.scroll = d.scroll.saturating_sub(1),
            Action::Down => d.scroll += 1,
            Action::PageUp => d.scroll = d.scroll.saturating_sub(page),
            Action::PageDown => d.scroll += page,
            Action::Top => d.scroll = 0,
            Action::Back | Action::Left => self.detail = None,
            _ => return false,
        }
        true
    }

    /// Draw the open detail or DDL view in `area` (the main area).
    pub fn render_detail(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        let lines = self.detail_lines();
        let Some(d) = &mut self.detail else { return };
        let what = match d.mode {
            DetailMode::Detail => "detail",
            DetailMode::Ddl => "DDL",
            DetailMode::Migrations => "migrations",
        };
        let mut title = vec![Span::raw(format!(" {what} "))];
        if !self.pending.is_empty() {
            title.push(Span::styled(
                format!("{} ", spinner(cx.tick)),
                cx.theme.spinner,
            ));
        }
        let block = cx.block(Line::from(title));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        self.detail_page = inner.height as usize;
        let max = lines.len().saturating_sub(inner.height as usize);
        d.scroll = d.scroll.min(max);
        let shown: Vec<Line> = lines
            .into_iter()
            .skip(d.scroll)
            .take(inner.height as usize)
            .map(|(k, l)| {
                let style = match k {
                    LineKind::Title => cx.theme.title_focused,
                    LineKind::Section => cx.theme.title,
                    LineKind::Warn => cx.theme.warning,
                    LineKind::Text => cx.theme.base,
                };
                Line::styled(
                    truncate(&visible(&l), inner.width as usize).into_owned(),
                    style,
                )
            })
            .collect();
        frame.render_widget(Paragraph::new(shown), inner);
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
                Node::Relation { schema, rel, .. } => {
                    tree.schemas[*schema].relations[*rel].name.clone()
                }
                Node::Routine { schema, idx } => tree.schemas[*schema].routines[*idx].signature(),
                Node::Type { schema, idx } => tree.schemas[*schema].types[*idx].name.clone(),
                Node::Member { idx, .. } => {
                    let m = &tree.members[*idx];
                    format!("{} on {}", m.name, m.table)
                }
                Node::Section { which, .. } => section_label(*which).to_string(),
                Node::Extension { idx } => tree.extensions[*idx].name.clone(),
                Node::Role { idx } => tree.roles[*idx].name.clone(),
                Node::Migrations { schema, rel } => {
                    let s = &tree.schemas[*schema];
                    super::migrations::node_label(&s.name, &s.relations[*rel].name)
                        .unwrap_or_default()
                }
                Node::Database { idx } => tree.databases[*idx].name.clone(),
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

    fn nodes(&self) -> std::rc::Rc<Vec<Node>> {
        if let Some(n) = self.nodes_cache.borrow().as_ref() {
            return n.clone();
        }
        let n = std::rc::Rc::new(self.build_nodes());
        *self.nodes_cache.borrow_mut() = Some(n.clone());
        n
    }

    /// Forget the flattened tree (after a change to what it shows).
    fn dirty(&self) {
        *self.nodes_cache.borrow_mut() = None;
    }

    fn build_nodes(&self) -> Vec<Node> {
        let Some(tree) = &self.tree else {
            return vec![];
        };
        let filtering = !self.filter.is_empty();
        let mut out = Vec::new();
        let dbs: Vec<usize> = (0..tree.databases.len())
            .filter(|&i| self.matches(&tree.databases[i].name))
            .collect();
        if !dbs.is_empty() {
            out.push(Node::Section {
                which: SECTION_DATABASES,
                count: dbs.len(),
            });
            if filtering || self.expanded_sections.contains(&SECTION_DATABASES) {
                out.extend(dbs.into_iter().map(|idx| Node::Database { idx }));
            }
        }
        for (si, s) in tree.schemas.iter().enumerate() {
            if s.system && !self.show_system {
                continue;
            }
            // Without a filter, partitions whose parent is listed sit under it, not in the group.
            let rels: Vec<usize> = (0..s.relations.len())
                .filter(|&ri| {
                    let r = &s.relations[ri];
                    if filtering {
                        self.matches(&r.name)
                    } else {
                        !r.parent_oid.is_some_and(|p| self.children.contains_key(&p))
                    }
                })
                .collect();
            let routines: Vec<usize> = (0..s.routines.len())
                .filter(|&i| self.matches(&s.routines[i].name))
                .collect();
            let types: Vec<usize> = (0..s.types.len())
                .filter(|&i| self.matches(&s.types[i].name))
                .collect();
            let members: &[usize] = self
                .members_by_schema
                .get(&s.oid)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let triggers: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&i| {
                    tree.members[i].kind == "trigger" && self.matches(&tree.members[i].name)
                })
                .collect();
            let policies: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&i| {
                    tree.members[i].kind == "policy" && self.matches(&tree.members[i].name)
                })
                .collect();
            let total = rels.len() + routines.len() + types.len() + triggers.len() + policies.len();
            if filtering && total == 0 && !self.matches(&s.name) {
                continue;
            }
            out.push(Node::Schema {
                schema: si,
                count: total,
            });
            let open = filtering || self.expanded_schemas.contains(&s.oid);
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
                if !filtering && !self.expanded_groups.contains(&(s.oid, g)) {
                    continue;
                }
                for ri in members {
                    self.push_relation(&mut out, si, ri, 0);
                }
            }
            // a migration tool's history table: its applied history, one node per table
            out.extend(
                rels.iter()
                    .filter(|&&ri| {
                        let r = &s.relations[ri];
                        matches!(r.kind, RelKind::Table | RelKind::PartitionedTable)
                            && super::migrations::node_label(&s.name, &r.name).is_some()
                    })
                    .map(|&rel| Node::Migrations { schema: si, rel }),
            );
            for (g, items) in [
                (GROUP_FUNCTIONS, &routines),
                (GROUP_TYPES, &types),
                (GROUP_TRIGGERS, &triggers),
                (GROUP_POLICIES, &policies),
            ] {
                if items.is_empty() {
                    continue;
                }
                out.push(Node::Group {
                    schema: si,
                    group: g,
                    count: items.len(),
                });
                if !filtering && !self.expanded_groups.contains(&(s.oid, g)) {
                    continue;
                }
                out.extend(items.iter().map(|&idx| match g {
                    GROUP_FUNCTIONS => Node::Routine { schema: si, idx },
                    GROUP_TYPES => Node::Type { schema: si, idx },
                    _ => Node::Member { schema: si, idx },
                }));
            }
        }
        let exts: Vec<usize> = (0..tree.extensions.len())
            .filter(|&i| self.matches(&tree.extensions[i].name))
            .collect();
        let roles: Vec<usize> = (0..tree.roles.len())
            .filter(|&i| self.matches(&tree.roles[i].name))
            .collect();
        for (which, items) in [(0u8, exts), (1u8, roles)] {
            if items.is_empty() {
                continue;
            }
            out.push(Node::Section {
                which,
                count: items.len(),
            });
            if !filtering && !self.expanded_sections.contains(&which) {
                continue;
            }
            out.extend(items.into_iter().map(|idx| {
                if which == 0 {
                    Node::Extension { idx }
                } else {
                    Node::Role { idx }
                }
            }));
        }
        out
    }

    /// A relation, and under an open partitioned table its partitions (recursively).
    fn push_relation(&self, out: &mut Vec<Node>, schema: usize, rel: usize, depth: u8) {
        out.push(Node::Relation { schema, rel, depth });
        if !self.filter.is_empty() || depth > 8 {
            return;
        }
        let Some(tree) = &self.tree else { return };
        let oid = tree.schemas[schema].relations[rel].oid;
        if !self.expanded_parts.contains(&oid) {
            return;
        }
        if let Some(kids) = self.children.get(&oid) {
            for &(s, r) in kids {
                self.push_relation(out, s, r, depth + 1);
            }
        }
    }

    fn toggle(&mut self, node: &Node, open: Option<bool>) {
        self.dirty();
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
            Node::Relation { schema, rel, .. } => {
                let r = &tree.schemas[schema].relations[rel];
                if r.kind == RelKind::PartitionedTable {
                    let oid = r.oid;
                    flip(&mut self.expanded_parts, oid, open);
                }
            }
            Node::Section { which, .. } => flip(&mut self.expanded_sections, which, open),
            _ => {}
        }
    }

    fn select(&mut self, node: &Node) {
        let Some(tree) = &self.tree else { return };
        match *node {
            Node::Relation { schema, rel, .. } => {
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
            Node::Routine { .. } | Node::Type { .. } | Node::Member { .. } => {
                // no rows to preview: show the definition (a trigger's or policy's table DDL)
                self.select_ddl = true;
            }
            Node::Database { idx } => {
                let d = &tree.databases[idx];
                if d.current {
                    self.message = Some(format!("already connected to {}", quote_ident(&d.name)));
                } else if !d.can_connect {
                    self.message = Some(format!(
                        "{} refuses connections (datallowconn is off, or this role has no \
                         CONNECT privilege)",
                        quote_ident(&d.name)
                    ));
                } else {
                    self.switch_to = Some(d.name.clone());
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
        let present: std::collections::HashMap<u32, ()> = tree
            .schemas
            .iter()
            .flat_map(|s| &s.relations)
            .filter(|r| r.kind == RelKind::PartitionedTable)
            .map(|r| (r.oid, ()))
            .collect();
        self.children.clear();
        for (si, s) in tree.schemas.iter().enumerate() {
            for (ri, r) in s.relations.iter().enumerate() {
                if let Some(p) = r.parent_oid
                    && present.contains_key(&p)
                {
                    self.children.entry(p).or_default().push((si, ri));
                }
            }
        }
        self.members_by_schema.clear();
        for (i, m) in tree.members.iter().enumerate() {
            self.members_by_schema
                .entry(m.schema_oid)
                .or_default()
                .push(i);
        }
        self.tree = Some(tree);
        self.dirty();
        let n = self.nodes().len();
        self.selected = self.selected.min(n.saturating_sub(1));
    }
}

impl SchemaPane {
    fn on_detail_reply(&mut self, response: Response) {
        match response.reply {
            Ok(Reply::TableDetail(t)) => {
                if self.select_when_loaded == Some(t.oid) {
                    self.select_when_loaded = None;
                    self.to_editor = Some(t.select_all_columns());
                }
                if let Some(d) = &mut self.detail
                    && d.oid == t.oid
                {
                    d.detail = Some(*t);
                }
            }
            Ok(Reply::Ddl { oid, text }) => {
                if let Some(d) = &mut self.detail
                    && d.oid == oid
                {
                    d.ddl = Some(text);
                }
            }
            Ok(Reply::Migrations(h)) => {
                if let Some(d) = &mut self.detail
                    && d.schema == h.table.schema
                    && d.name == h.table.table
                {
                    d.migrations = Some(*h);
                }
            }
            Ok(Reply::RowCount { oid, count }) => {
                self.message = Some(format!("{count} rows"));
                if let Some(d) = &mut self.detail
                    && d.oid == oid
                {
                    d.count = Some(count);
                }
            }
            Ok(_) => {}
            Err(e) => {
                self.select_when_loaded = None;
                match &mut self.detail {
                    Some(d) => d.error = Some(e.to_string()),
                    None => self.message = Some(e.to_string()),
                }
            }
        }
    }
}

/// The detail view's health section: the table's findings, most severe first, and the checks
/// that could not run.
fn findings_lines(lines: &mut Vec<(LineKind, String)>, f: &TableFindings) {
    match f {
        TableFindings::Loading => {
            lines.push((LineKind::Section, "health findings".into()));
            lines.push((LineKind::Text, "  checking…".into()));
        }
        TableFindings::Failed(e) => {
            lines.push((LineKind::Section, "health findings".into()));
            lines.push((LineKind::Warn, format!("  the checks could not run: {e}")));
        }
        TableFindings::Loaded {
            findings,
            failed,
            from_report,
        } => {
            lines.push((
                LineKind::Section,
                format!(
                    "health findings ({}{})",
                    findings.len(),
                    if *from_report {
                        ", from the last health report"
                    } else {
                        ""
                    }
                ),
            ));
            if findings.is_empty() {
                lines.push((LineKind::Text, "  none: every check passed".into()));
            }
            for x in findings {
                let object = x
                    .object
                    .as_deref()
                    .map(|o| format!(" {}", quote_ident(o)))
                    .unwrap_or_default();
                lines.push((
                    if x.severity == crate::model::health::Severity::Info {
                        LineKind::Text
                    } else {
                        LineKind::Warn
                    },
                    format!("  {} {}{object}: {}", x.severity.name(), x.check, x.message),
                ));
            }
            for (check, e) in failed {
                lines.push((LineKind::Warn, format!("  {check}: could not run: {e}")));
            }
        }
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

fn section_label(which: u8) -> &'static str {
    match which {
        0 => "extensions",
        SECTION_DATABASES => "databases",
        _ => "roles",
    }
}

fn group_label(order: u8) -> &'static str {
    match order {
        GROUP_FUNCTIONS => "functions",
        GROUP_TYPES => "types",
        GROUP_TRIGGERS => "triggers",
        GROUP_POLICIES => "policies",
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
        if self.detail_update(action) {
            return Handled::Yes;
        }
        match action {
            Action::ShowDetail => {
                self.open_detail(DetailMode::Detail, requests);
                return Handled::Yes;
            }
            Action::ShowDdl => {
                self.open_detail(DetailMode::Ddl, requests);
                return Handled::Yes;
            }
            Action::CopyName => {
                if let Some((schema, name, ..)) = self.current_relation() {
                    let q = format!("{}.{}", quote_ident(&schema), quote_ident(&name));
                    self.message = Some(format!("copied {q}"));
                    self.clipboard = Some(q);
                }
                return Handled::Yes;
            }
            Action::GenerateSelect => {
                if let Some((schema, name, oid, _)) = self.current_relation() {
                    match self.detail.as_ref().and_then(|d| d.detail.as_ref()) {
                        Some(t) if t.oid == oid => self.to_editor = Some(t.select_all_columns()),
                        _ => {
                            self.select_when_loaded = Some(oid);
                            self.pending
                                .push(requests.send(Request::LoadTableDetail { oid }));
                            self.message = Some(format!(
                                "reading the columns of {}.{}…",
                                quote_ident(&schema),
                                quote_ident(&name)
                            ));
                        }
                    }
                }
                return Handled::Yes;
            }
            Action::CountRows => {
                if let Some((schema, name, oid, kind)) = self.current_relation()
                    && kind != RelKind::Sequence
                {
                    self.message = Some(format!(
                        "counting {}.{}…",
                        quote_ident(&schema),
                        quote_ident(&name)
                    ));
                    self.pending
                        .push(requests.send(Request::CountRows { oid, schema, name }));
                }
                return Handled::Yes;
            }
            Action::OpenFindings => {
                let table = match &self.detail {
                    Some(d) => Some((d.schema.clone(), d.name.clone())),
                    None => self
                        .current_relation()
                        .map(|(schema, name, ..)| (schema, name)),
                };
                match table {
                    Some(t) => self.open_findings = Some(t),
                    None => self.message = Some("findings are listed per table".into()),
                }
                return Handled::Yes;
            }
            Action::ToggleSystem => {
                self.show_system = !self.show_system;
                self.dirty();
                self.selected = 0;
                return Handled::Yes;
            }
            _ => {}
        }
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
                                (
                                    Node::Relation { .. }
                                        | Node::Routine { .. }
                                        | Node::Type { .. },
                                    Node::Group { .. }
                                ) | (
                                    Node::Group { .. } | Node::Migrations { .. },
                                    Node::Schema { .. }
                                ) | (
                                    Node::Extension { .. }
                                        | Node::Role { .. }
                                        | Node::Database { .. },
                                    Node::Section { .. }
                                )
                            )
                        });
                        match (&node, parent) {
                            (
                                Node::Relation { .. }
                                | Node::Routine { .. }
                                | Node::Type { .. }
                                | Node::Member { .. }
                                | Node::Extension { .. }
                                | Node::Role { .. }
                                | Node::Migrations { .. }
                                | Node::Database { .. },
                                Some(p),
                            ) => self.selected = p,
                            _ => self.toggle(&node, Some(false)),
                        }
                    }
                    Action::Toggle => self.toggle(&node, None),
                    _ if matches!(node, Node::Migrations { .. }) => {
                        self.open_detail(DetailMode::Migrations, requests);
                    }
                    _ => {
                        self.select(&node);
                        if std::mem::take(&mut self.select_ddl) {
                            self.open_detail(DetailMode::Ddl, requests);
                        }
                    }
                }
            }
            Action::Filter => self.filtering = true,
            Action::Back => {
                self.filter.clear();
                self.dirty();
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
        match edit_filter(&mut self.filter, key) {
            FilterKey::Cleared => {
                self.dirty();
                self.filtering = false;
            }
            FilterKey::Kept => self.filtering = false,
            FilterKey::Erased => self.dirty(),
            FilterKey::Typed => {
                self.dirty();
                self.selected = 0;
            }
            FilterKey::Up => self.selected = self.selected.saturating_sub(1),
            FilterKey::Down => self.selected += 1,
            FilterKey::Other => return false,
        }
        let n = self.nodes().len();
        self.selected = self.selected.min(n.saturating_sub(1));
        true
    }

    fn is_list(&self) -> bool {
        true
    }

    fn waits_for(&self, id: RequestId) -> bool {
        self.waiting == Some(id) || self.pending.contains(&id) || self.findings_req == Some(id)
    }

    fn on_reply(&mut self, response: Response) {
        if self.findings_req == Some(response.id) {
            self.findings_req = None;
            match response.reply {
                Ok(Reply::TableFindings { oid, findings }) => {
                    self.set_findings(oid, findings.findings, findings.failed, false)
                }
                Ok(_) => {}
                Err(e) => {
                    if let Some(d) = &mut self.detail {
                        d.findings = Some(TableFindings::Failed(e.to_string()));
                    }
                }
            }
            return;
        }
        if self.pending.contains(&response.id) {
            self.pending.retain(|&p| p != response.id);
            self.on_detail_reply(response);
            return;
        }
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
        let h = list_area.height as usize;
        if nodes.is_empty() {
            let msg = if self.filter.is_empty() {
                "no schemas"
            } else {
                "nothing matches"
            };
            frame.render_widget(Paragraph::new(Line::styled(msg, cx.theme.muted)), list_area);
            return;
        }
        // Only the window on screen is built: a frame costs the same with 10 or 100,000 nodes.
        let selected = self.selected.min(nodes.len() - 1);
        if selected < self.offset {
            self.offset = selected;
        } else if h > 0 && selected >= self.offset + h {
            self.offset = selected + 1 - h;
        }
        self.offset = self.offset.min(nodes.len().saturating_sub(h.max(1)));
        let items: Vec<ListItem> = nodes[self.offset..]
            .iter()
            .take(h)
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
                    Node::Relation { schema, rel, depth } => {
                        let r = &tree.schemas[schema].relations[rel];
                        let style = if !r.readable || r.is_partition {
                            cx.theme.muted
                        } else {
                            cx.theme.base
                        };
                        let right = if !r.readable {
                            "no access".to_string()
                        } else if r.kind == RelKind::PartitionedTable {
                            let n = self.children.get(&r.oid).map_or(0, Vec::len);
                            // narrow sidebars keep room for the name
                            if w < 30 {
                                format!("{n}p")
                            } else {
                                format!("{n} parts")
                            }
                        } else if matches!(r.kind, RelKind::Table | RelKind::MaterializedView) {
                            short_count(r.estimated_rows)
                        } else {
                            String::new()
                        };
                        let marker =
                            if r.kind == RelKind::PartitionedTable && self.filter.is_empty() {
                                if self.expanded_parts.contains(&r.oid) {
                                    "▾ "
                                } else {
                                    "▸ "
                                }
                            } else {
                                ""
                            };
                        let mut name = r.name.clone();
                        if depth > 0
                            && let Some(b) = &r.partition_bound
                        {
                            name.push(' ');
                            name.push_str(b.strip_prefix("FOR VALUES ").unwrap_or(b));
                        }
                        (4 + 2 * depth as usize, marker, name, right, style)
                    }
                    Node::Routine { schema, idx } => {
                        let r = &tree.schemas[schema].routines[idx];
                        let right = if r.kind == "function" { "" } else { r.kind };
                        (4, "", r.signature(), right.to_string(), cx.theme.base)
                    }
                    Node::Type { schema, idx } => {
                        let t = &tree.schemas[schema].types[idx];
                        (4, "", t.name.clone(), t.kind.to_string(), cx.theme.base)
                    }
                    Node::Member { idx, .. } => {
                        let m = &tree.members[idx];
                        (
                            4,
                            "",
                            format!("{} on {}", m.name, m.table),
                            m.detail.clone(),
                            cx.theme.base,
                        )
                    }
                    Node::Section { which, count } => {
                        let open =
                            !self.filter.is_empty() || self.expanded_sections.contains(&which);
                        (
                            0,
                            if open { "▾ " } else { "▸ " },
                            section_label(which).to_string(),
                            count.to_string(),
                            cx.theme.title,
                        )
                    }
                    Node::Extension { idx } => {
                        let e = &tree.extensions[idx];
                        match &e.installed_version {
                            Some(v) => (
                                2,
                                "",
                                format!("{} {v}", e.name),
                                String::new(),
                                cx.theme.base,
                            ),
                            None => (
                                2,
                                "",
                                e.name.clone(),
                                e.default_version.clone().unwrap_or_default(),
                                cx.theme.muted,
                            ),
                        }
                    }
                    Node::Migrations { schema, rel } => {
                        let s = &tree.schemas[schema];
                        let r = &s.relations[rel];
                        (
                            2,
                            "",
                            super::migrations::node_label(&s.name, &r.name).unwrap_or_default(),
                            String::new(),
                            cx.theme.accent,
                        )
                    }
                    Node::Role { idx } => {
                        let r = &tree.roles[idx];
                        let right = if r.attributes.iter().any(|a| a == "superuser") {
                            "superuser"
                        } else if r.attributes.iter().any(|a| a == "login") {
                            "login"
                        } else {
                            ""
                        };
                        (2, "", r.name.clone(), right.to_string(), cx.theme.base)
                    }
                    Node::Database { idx } => {
                        let d = &tree.databases[idx];
                        if d.current {
                            (2, "● ", d.name.clone(), "connected".into(), cx.theme.accent)
                        } else if d.can_connect {
                            (2, "  ", d.name.clone(), String::new(), cx.theme.base)
                        } else {
                            (2, "  ", d.name.clone(), "no CONNECT".into(), cx.theme.muted)
                        }
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
        *self.list_state.offset_mut() = 0;
        self.list_state.select(Some(selected - self.offset));
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
        p.dirty();
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

    #[test]
    fn partitions_sit_under_their_parent_and_routines_and_types_get_groups() {
        use crate::model::catalog::{Routine, TypeItem};
        let mut t = tree();
        let mut parent = t.schemas[0].relations[0].clone();
        parent.oid = 30;
        parent.name = "events".into();
        parent.kind = RelKind::PartitionedTable;
        let mut part = parent.clone();
        part.oid = 31;
        part.name = "events_2024".into();
        part.kind = RelKind::Table;
        part.is_partition = true;
        part.parent_oid = Some(30);
        part.partition_bound = Some("FOR VALUES FROM (1) TO (2)".into());
        t.schemas[0].relations.push(parent);
        t.schemas[0].relations.push(part);
        t.schemas[0].routines.push(Routine {
            oid: 40,
            name: "add".into(),
            arguments: "a integer, b integer".into(),
            result: "integer".into(),
            kind: "function",
        });
        t.schemas[0].types.push(TypeItem {
            oid: 50,
            name: "mood".into(),
            kind: "enum",
            detail: "'sad'".into(),
        });
        let mut p = SchemaPane::default();
        p.on_tree(t);
        assert_eq!(
            p.visible_labels(),
            vec![
                "public",
                "tables",
                "users",
                "user_roles",
                "events",
                "views",
                "functions",
                "types"
            ]
        );
        let (req, _rx) = Requests::detached();
        p.selected = 4; // events
        p.update(Action::Toggle, &req);
        p.selected = 6; // views
        p.update(Action::Down, &req); // functions
        p.update(Action::Toggle, &req);
        let labels = p.visible_labels();
        assert_eq!(labels[4..7], ["events", "events_2024", "views"]);
        assert!(
            labels.contains(&"add(a integer, b integer)".to_string()),
            "{labels:?}"
        );
        // the filter lists partitions flat
        p.filter = "2024".into();
        p.dirty();
        assert_eq!(p.visible_labels(), vec!["public", "tables", "events_2024"]);
    }

    #[test]
    fn a_large_tree_draws_the_window_around_the_selection() {
        use ratatui::Terminal;
        use ratatui::backend::TestBackend;
        let mut t = tree();
        let base = t.schemas[0].relations[0].clone();
        t.schemas[0].relations = (0..5000)
            .map(|i| {
                let mut r = base.clone();
                r.oid = 1000 + i;
                r.name = format!("t{i:05}");
                r
            })
            .collect();
        let mut p = SchemaPane::default();
        p.on_tree(t);
        let (req, _rx) = Requests::detached();
        p.update(Action::Bottom, &req);
        let theme = crate::theme::Theme::load("dark", None).expect("theme");
        let keymap = crate::keymap::Keymap::default_keymap();
        let cx = RenderCx {
            theme: &theme,
            keymap: &keymap,
            focused: true,
            tick: 0,
        };
        let mut term = Terminal::new(TestBackend::new(30, 12)).expect("terminal");
        term.draw(|f| p.render(f, f.area(), &cx)).expect("draw");
        let screen = format!("{:?}", term.backend().buffer());
        assert!(screen.contains("t04999"), "{screen}");
        assert!(!screen.contains("t00000"), "{screen}");
    }
}
