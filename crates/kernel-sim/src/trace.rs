//! The call trace: the OS calls and model events of a run, in order (`Sim::calls`), kept whole or
//! as the most recent entries. A component of its own so that what it costs is decided in one
//! place: with a limit of 0 nothing is kept, and hot paths ask [`Trace::enabled`] before they
//! format an entry.

use std::collections::VecDeque;

#[derive(Default)]
pub(crate) struct Trace {
    entries: VecDeque<String>,
    /// `None`: keep every entry; `Some(n)`: the most recent `n`.
    limit: Option<usize>,
}

impl Trace {
    /// Whether an entry would be kept.
    pub(crate) fn enabled(&self) -> bool {
        self.limit != Some(0)
    }

    pub(crate) fn record(&mut self, entry: String) {
        if let Some(limit) = self.limit {
            if limit == 0 {
                return;
            }
            while self.entries.len() >= limit {
                self.entries.pop_front();
            }
        }
        self.entries.push_back(entry);
    }

    /// Keep the most recent `limit` entries from now on (`None`: all), dropping older ones.
    pub(crate) fn set_limit(&mut self, limit: Option<usize>) {
        self.limit = limit;
        if let Some(limit) = limit {
            while self.entries.len() > limit {
                self.entries.pop_front();
            }
        }
    }

    /// The entries, oldest first.
    pub(crate) fn entries(&self) -> impl DoubleEndedIterator<Item = &str> + '_ {
        self.entries.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::Trace;

    #[test]
    fn a_limit_keeps_the_most_recent_entries_and_zero_keeps_none() {
        let mut trace = Trace::default();
        for i in 0..5 {
            trace.record(format!("call {i}"));
        }
        assert_eq!(trace.entries().count(), 5, "unlimited by default");
        trace.set_limit(Some(2));
        assert_eq!(trace.entries().collect::<Vec<_>>(), ["call 3", "call 4"]);
        trace.record("call 5".into());
        assert_eq!(trace.entries().collect::<Vec<_>>(), ["call 4", "call 5"]);
        trace.set_limit(Some(0));
        assert!(!trace.enabled());
        trace.record("call 6".into());
        assert_eq!(trace.entries().count(), 0);
    }
}
