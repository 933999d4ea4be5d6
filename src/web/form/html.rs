//! The HTML of a generated form: escaped here, once, since it is built as
//! text (askama cannot recurse over a schema); the page inserts it as is.
//!
//! Patterns (GOV.UK / DSFR documentation, our own look): a `<label>` per
//! input, « (facultatif) » for optional ones, the hint and the error tied
//! with `aria-describedby`, groups in `<fieldset>`/`<legend>`, radios when
//! there are at most [`RADIOS`] choices, and list rows with their own
//! « Supprimer » button, all working without JavaScript.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::read::{escape, shown};
use super::{Kind, Node, labels};

/// At most this many choices are radios; more are a select.
pub const RADIOS: usize = 4;

/// A rendered form.
#[derive(Debug, Default)]
pub struct Rendered {
    /// The fields' HTML.
    pub html: String,
    /// The error summary: the field's id, and « label : message ».
    pub summary: Vec<(String, String)>,
}

/// Render `root` showing `value`, with `errors` (JSON pointers relative to
/// the data → French messages) beside their fields; the input at
/// `focus` (a pointer) gets `autofocus`.
pub fn render(
    root: &Node,
    value: &Value,
    errors: &BTreeMap<String, Vec<String>>,
    focus: Option<&str>,
) -> Rendered {
    let mut r = Renderer { errors, focus, out: Rendered::default(), shown: Vec::new(), groups: Vec::new() };
    if let Kind::Object(props) = &root.kind {
        r.props(props, value, "");
    }
    // Errors about no field drawn (a rule across fields, a member the form
    // does not show): in the summary, linked to the nearest group drawn.
    let mut whole = 0;
    for (ptr, messages) in errors {
        if r.shown.iter().any(|(p, _)| p == ptr) {
            continue;
        }
        let anchor =
            r.shown.iter().filter(|(p, _)| ptr.starts_with(&format!("{p}/"))).max_by_key(|(p, _)| p.len());
        let (id, label) = match anchor {
            Some((a, link)) => (link.clone(), root.at(a).map(|n| label_of(n, a)).unwrap_or_default()),
            None => ("formulaire".to_owned(), String::new()),
        };
        for m in messages {
            if label.is_empty() {
                // A rule about the whole act: first.
                r.out.summary.insert(whole, (id.clone(), capitalise(m)));
                whole += 1;
            } else {
                r.out.summary.push((id.clone(), format!("{label} : {m}")));
            }
        }
    }
    r.out
}

/// An input's id, hint and error.
type Described<'a> = (&'a str, Option<&'a str>, Option<&'a str>);

struct Renderer<'a> {
    errors: &'a BTreeMap<String, Vec<String>>,
    focus: Option<&'a str>,
    out: Rendered,
    /// Pointers drawn (fields and groups).
    shown: Vec<(String, String)>,
    /// The labels of the groups being drawn, outermost first: the summary
    /// says « Liste d'aptitude — Date », not three bare « Date ».
    groups: Vec<String>,
}

impl Renderer<'_> {
    fn props(&mut self, props: &[super::Prop], value: &Value, ptr: &str) {
        for p in props {
            let child = format!("{ptr}/{}", escape(&p.key));
            let label = p.node.title.clone().unwrap_or_else(|| labels::label(&p.key));
            self.node(&p.node, value.get(&p.key).unwrap_or(&Value::Null), &child, &label, !p.required);
        }
    }

    fn node(&mut self, node: &Node, value: &Value, ptr: &str, label: &str, optional: bool) {
        let id = id_of(ptr);
        // Links to a group point at its fieldset; to a field, at its input.
        let link = match node.kind {
            Kind::Object(_) | Kind::Array { .. } => format!("{id}-groupe"),
            _ => id.clone(),
        };
        self.shown.push((ptr.to_owned(), link.clone()));
        // A description that only repeats the label is no hint.
        let hint = node.description.as_deref().filter(|d| d.trim_end_matches('.') != label);
        let error = self.error_of(ptr, label, &link);
        let html = &mut self.out.html;
        match &node.kind {
            Kind::Object(props) => {
                open_group(html, &id, label, optional, hint, error.as_deref(), "fieldset");
                self.groups.push(label.to_owned());
                self.props(props, value, ptr);
                self.groups.pop();
                self.out.html.push_str("</fieldset>\n");
            }
            Kind::Array { item, max } => {
                self.list(item, *max, value, ptr, label, optional, (&id, hint, error.as_deref()))
            }
            Kind::Fixed(_) => {}
            Kind::Bool => {
                let autofocus = self.autofocus(ptr);
                let html = &mut self.out.html;
                let checked = if value.as_bool() == Some(true) { " checked" } else { "" };
                let _ = write!(
                    html,
                    r#"<div class="field field--checkbox{}">"#,
                    if error.is_some() { " field--error" } else { "" }
                );
                // The error above the box, the hint under its label (one
                // reads what to tick before reading when to tick it).
                hint_and_error(html, &id, None, error.as_deref());
                let _ = write!(
                    html,
                    r#"<input type="checkbox" class="checkbox" id="{id}" name="{}" value="oui"{checked}{}{}><label class="field__label" for="{id}">{}</label>"#,
                    esc(ptr),
                    described(&id, hint, error.as_deref()),
                    autofocus,
                    esc(label)
                );
                hint_and_error(html, &id, hint, None);
                html.push_str("</div>\n");
            }
            Kind::Choice(options) if options.len() <= RADIOS => {
                open_group(html, &id, label, optional, hint, error.as_deref(), "fieldset fieldset--inline");
                let chosen = shown(value);
                for (i, o) in options.iter().enumerate() {
                    let v = shown(o);
                    // The first radio carries the group's id: the summary links to it.
                    let rid = if i == 0 { id.clone() } else { format!("{id}-{i}") };
                    let checked = if v == chosen { " checked" } else { "" };
                    let _ = writeln!(
                        self.out.html,
                        r#"<div class="radio"><input type="radio" class="radio__input" id="{rid}" name="{}" value="{}"{checked}><label class="radio__label" for="{rid}">{}</label></div>"#,
                        esc(ptr),
                        esc(&v),
                        esc(&choice_label(&v))
                    );
                }
                self.out.html.push_str("</fieldset>\n");
            }
            kind => self.input(kind, value, ptr, label, optional, (&id, hint, error.as_deref())),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn list(
        &mut self,
        item: &Node,
        max: Option<usize>,
        value: &Value,
        ptr: &str,
        label: &str,
        optional: bool,
        (id, hint, error): Described<'_>,
    ) {
        let html = &mut self.out.html;
        open_group(html, id, label, optional, hint, error, "fieldset fieldset--list");
        let rows = value.as_array().map_or(0, Vec::len);
        let _ = writeln!(html, r##"<input type="hidden" name="#{}" value="{rows}">"##, esc(ptr));
        for i in 0..rows {
            let row = format!("{ptr}/{i}");
            let row_label = format!("{label} — ligne {}", i + 1);
            self.out.html.push_str(r#"<div class="list-row">"#);
            self.node(item, &value[i], &row, &row_label, false);
            let _ = writeln!(
                self.out.html,
                r#"<button type="submit" name="action" value="supprimer:{}" class="button button--secondary button--small">Supprimer<span class="visually-hidden"> la ligne {} de « {} »</span></button></div>"#,
                esc(&row),
                i + 1,
                esc(label)
            );
        }
        if max.is_none_or(|m| rows < m) {
            let focus = if self.focus == Some(ptr) { " autofocus" } else { "" };
            let _ = writeln!(
                self.out.html,
                r#"<button type="submit" name="action" value="ajouter:{}" class="button button--secondary button--small"{focus}>Ajouter une ligne<span class="visually-hidden"> à « {} »</span></button>"#,
                esc(ptr),
                esc(label)
            );
        }
        self.out.html.push_str("</fieldset>\n");
    }

    fn input(
        &mut self,
        kind: &Kind,
        value: &Value,
        ptr: &str,
        label: &str,
        optional: bool,
        (id, hint, error): Described<'_>,
    ) {
        let autofocus = self.autofocus(ptr);
        let html = &mut self.out.html;
        let _ = write!(html, r#"<div class="field{}">"#, if error.is_some() { " field--error" } else { "" });
        let opt = if optional { r#" <span class="field__optional">(facultatif)</span>"# } else { "" };
        let _ = write!(html, r#"<label class="field__label" for="{id}">{}{opt}</label>"#, esc(label));
        hint_and_error(html, id, hint, error);
        let attrs = format!(
            r#"id="{id}" name="{}"{}{}{}{}"#,
            esc(ptr),
            described(id, hint, error),
            if error.is_some() { r#" aria-invalid="true""# } else { "" },
            if optional { "" } else { r#" aria-required="true""# },
            autofocus
        );
        let typed = esc(&shown(value));
        let html = &mut self.out.html;
        match kind {
            Kind::Choice(options) => {
                let _ = write!(
                    html,
                    r#"<select class="field__input" {attrs}><option value="">Choisissez</option>"#
                );
                for o in options {
                    let v = shown(o);
                    let sel = if esc(&v) == typed { " selected" } else { "" };
                    let _ = write!(
                        html,
                        r#"<option value="{}"{sel}>{}</option>"#,
                        esc(&v),
                        esc(&choice_label(&v))
                    );
                }
                html.push_str("</select>");
            }
            Kind::Text { long: true, max_length, .. } => {
                let _ = write!(
                    html,
                    r#"<textarea class="field__input field__input--long" rows="3"{} {attrs}>{typed}</textarea>"#,
                    maxlength(*max_length)
                );
            }
            Kind::Text { max_length, .. } => {
                let _ = write!(
                    html,
                    r#"<input class="field__input" type="text" value="{typed}"{} {attrs}>"#,
                    maxlength(*max_length)
                );
            }
            Kind::Date => {
                let _ = write!(
                    html,
                    r#"<input class="field__input field__input--date" type="date" min="1800-01-01" max="2200-12-31" value="{typed}" {attrs}>"#
                );
            }
            Kind::Number { integer, min, max } => {
                let bound =
                    |name: &str, b: &Option<f64>| b.map_or(String::new(), |b| format!(r#" {name}="{b}""#));
                let step = if *integer {
                    r#" step="1" inputmode="numeric""#
                } else {
                    r#" step="any" inputmode="decimal""#
                };
                let _ = write!(
                    html,
                    r#"<input class="field__input field__input--number" type="number"{}{}{step} value="{typed}" {attrs}>"#,
                    bound("min", min),
                    bound("max", max)
                );
            }
            _ => {}
        }
        html.push_str("</div>\n");
    }

    /// The error at `ptr` for the beside-the-field message, and into the summary.
    fn error_of(&mut self, ptr: &str, label: &str, id: &str) -> Option<String> {
        let messages = self.errors.get(ptr)?;
        let shown: Vec<String> = messages.iter().map(|m| beside(m)).collect();
        // The nearest group, unless the label names it already (a list row).
        let named = match self.groups.last() {
            Some(group) if !label.starts_with(group.as_str()) => format!("{group} — {label}"),
            _ => label.to_owned(),
        };
        for m in messages {
            self.out.summary.push((id.to_owned(), format!("{named} : {m}")));
        }
        Some(shown.join(" ; "))
    }

    fn autofocus(&self, ptr: &str) -> &'static str {
        if self.focus == Some(ptr) { " autofocus" } else { "" }
    }
}

fn open_group(
    html: &mut String,
    id: &str,
    label: &str,
    optional: bool,
    hint: Option<&str>,
    error: Option<&str>,
    class: &str,
) {
    let err = if error.is_some() { " fieldset--error" } else { "" };
    let _ = write!(html, r#"<fieldset class="{class}{err}" id="{id}-groupe"{}>"#, described(id, hint, error));
    let opt = if optional { r#" <span class="field__optional">(facultatif)</span>"# } else { "" };
    let _ = write!(html, r#"<legend class="fieldset__legend">{}{opt}</legend>"#, esc(label));
    hint_and_error(html, id, hint, error);
}

fn hint_and_error(html: &mut String, id: &str, hint: Option<&str>, error: Option<&str>) {
    if let Some(h) = hint {
        let _ = write!(html, r#"<p class="field__hint" id="{id}-hint">{}</p>"#, esc(h));
    }
    if let Some(e) = error {
        let _ = write!(
            html,
            r#"<p class="field__error" id="{id}-error"><span class="visually-hidden">Erreur : </span>{}</p>"#,
            esc(e)
        );
    }
}

fn described(id: &str, hint: Option<&str>, error: Option<&str>) -> String {
    let mut ids = Vec::new();
    if hint.is_some() {
        ids.push(format!("{id}-hint"));
    }
    if error.is_some() {
        ids.push(format!("{id}-error"));
    }
    if ids.is_empty() { String::new() } else { format!(r#" aria-describedby="{}""#, ids.join(" ")) }
}

fn maxlength(max: Option<u64>) -> String {
    max.map_or(String::new(), |m| format!(r#" maxlength="{m}""#))
}

/// The HTML id of the input at `ptr`: `f.agent.nom`. Groups add `-groupe`
/// (their first input, or their legend's error, is what links point to).
pub fn id_of(ptr: &str) -> String {
    let body: String = ptr
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '.' })
        .collect();
    format!("f{body}")
}

fn label_of(node: &Node, ptr: &str) -> String {
    node.title.clone().unwrap_or_else(|| labels::label(ptr.rsplit('/').next().unwrap_or_default()))
}

/// A validation message as shown beside its field.
fn beside(message: &str) -> String {
    match message {
        "champ obligatoire manquant" => "Ce champ est obligatoire".to_owned(),
        m => capitalise(m),
    }
}

/// An enum value for people: `de_droit` → « de droit », `deces` → « décès ».
fn choice_label(v: &str) -> String {
    labels::choice(v)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// HTML-escape text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
