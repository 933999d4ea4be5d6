//! What one render may cost, and how renders share the machine: the
//! `[render]` settings (see `docs/configuration.md`) and the cheap estimate
//! of a document's size that classifies it before anything is laid out.
//!
//! Terms:
//! - **weight**: the characters of text and the list items of a document's
//!   data, counted in one walk of the JSON (microseconds, no layout);
//! - **heavy**: a render whose likely page count, estimated from its weight,
//!   reaches `heavy_pages`; heavy renders run in their own, smaller lane (see
//!   [`super::schedule`]);
//! - **time budget**: how long a caller waits for a render once it started.
//!   Typst cannot be cancelled: a render over budget is *abandoned* (its
//!   result discarded, the caller answered) while its thread runs to the end,
//!   still holding its slot, so abandoned work never exceeds the slots.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `[render]` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RenderSettings {
    /// Renders running at once, all collectivités together. `None`: one per
    /// CPU, at least 2 (so that a heavy render never holds the only slot).
    pub slots: Option<usize>,
    /// Of those, heavy renders running at once. `None`: half the slots, at
    /// least 1. Always fewer than `slots` when `slots` > 1, so that one-page
    /// acts always find a slot.
    pub heavy_slots: Option<usize>,
    /// Heavy renders of one collectivité running at once; its other heavy
    /// drafts wait behind it.
    pub heavy_per_collectivite: usize,
    /// Renders of one collectivité waiting for a slot, per lane, beyond which
    /// a request is refused (503 `render_queue_full`) instead of queued.
    pub queue_per_collectivite: usize,
    /// Estimated pages from which a render is heavy.
    pub heavy_pages: usize,
    /// Most pages an act may have (422 `too_many_pages` above).
    pub max_pages: usize,
    /// Milliseconds a caller waits for a render once it started (422
    /// `render_too_long` after).
    pub time_budget_ms: u64,
}

impl Default for RenderSettings {
    fn default() -> Self {
        Self {
            slots: None,
            heavy_slots: None,
            heavy_per_collectivite: 1,
            queue_per_collectivite: 64,
            heavy_pages: 12,
            max_pages: 500,
            time_budget_ms: 60_000,
        }
    }
}

impl RenderSettings {
    /// Renders running at once.
    pub fn slots(&self) -> usize {
        self.slots
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get().max(2)))
            .max(1)
    }

    /// Heavy renders running at once: at least 1, and below [`Self::slots`]
    /// whenever there are two slots or more.
    pub fn heavy_slots(&self) -> usize {
        let slots = self.slots();
        let wanted = self.heavy_slots.unwrap_or(slots / 2).max(1);
        if slots > 1 { wanted.min(slots - 1) } else { 1 }
    }

    /// The time budget.
    pub fn time_budget(&self) -> Duration {
        Duration::from_millis(self.time_budget_ms.max(1))
    }
}

/// Characters of text on the densest page a template can print (small body
/// text, full lines, no headings): a document of `n` characters has at least
/// `n / DENSEST_PAGE_CHARS` pages. Deliberately high, so that the estimate
/// never refuses a document that would fit.
const DENSEST_PAGE_CHARS: usize = 8_000;
/// Characters of a typical page of an act (paragraphs, headings, lists).
const TYPICAL_PAGE_CHARS: usize = 2_500;
/// What a list item costs in layout, in characters (its line, its spacing).
const ITEM_CHARS: usize = 40;

/// The weight of a document's data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Weight {
    /// Characters of every string (member names excluded).
    pub chars: usize,
    /// Items of every array.
    pub items: usize,
}

impl Weight {
    /// Walk `data` once.
    pub fn of(data: &Value) -> Self {
        let mut w = Self::default();
        let mut stack = vec![data];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => w.chars += s.chars().count(),
                Value::Array(items) => {
                    w.items += items.len();
                    stack.extend(items);
                }
                Value::Object(map) => stack.extend(map.values()),
                _ => {}
            }
        }
        w
    }

    /// Fewest pages the document can have: above `max_pages`, it is refused
    /// without being laid out.
    pub fn min_pages(&self) -> usize {
        self.chars / DENSEST_PAGE_CHARS
    }

    /// Likely pages, to choose the lane.
    pub fn likely_pages(&self) -> usize {
        1 + (self.chars + self.items * ITEM_CHARS) / TYPICAL_PAGE_CHARS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_weight_counts_characters_not_bytes_and_every_item() {
        let w = Weight::of(&serde_json::json!({ "a": ["été", "x"], "b": { "c": [[1, 2], "œ"] }, "n": 3 }));
        assert_eq!(w, Weight { chars: 5, items: 6 });
    }

    #[test]
    fn heavy_renders_never_take_every_slot() {
        let s = |slots, heavy| RenderSettings { slots, heavy_slots: heavy, ..RenderSettings::default() };
        assert_eq!((s(Some(2), None).slots(), s(Some(2), None).heavy_slots()), (2, 1));
        assert_eq!(s(Some(2), Some(5)).heavy_slots(), 1);
        assert_eq!(s(Some(8), None).heavy_slots(), 4);
        assert_eq!(s(Some(1), Some(3)).heavy_slots(), 1);
        assert!(s(None, None).slots() >= 2);
    }

    #[test]
    fn a_one_page_act_is_light_and_a_long_minutes_is_heavy() {
        let one = Weight { chars: 1_500, items: 20 };
        assert!(one.likely_pages() < RenderSettings::default().heavy_pages);
        assert_eq!(one.min_pages(), 0);
        let long = Weight { chars: 600_000, items: 2_000 };
        assert!(long.likely_pages() > 200);
        assert!(long.min_pages() <= long.likely_pages());
    }
}
