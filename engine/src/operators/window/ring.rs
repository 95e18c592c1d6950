//! Kapacitor's buffer of a window by time (`windowTimeBuffer`), slot for slot.
//!
//! Kapacitor keeps a group's points in a ring of slots that grows to `2 × (size + 1)` when
//! full and purges from the front. Its purge treats a ring whose start has met its stop as
//! wrapped, so after a purge empties it at the end of its slots, the next purge can bring
//! back points that left long ago: a window then holds points older than its period. The
//! windows Kapacitor emits come from this buffer, so Condenser keeps the same slots, with
//! the same arithmetic, to emit the same windows.

/// The ring of one group's window.
#[derive(Debug)]
pub(super) struct Ring<T> {
    /// The slots in use (Go's `len`); `None` is a slot never written (Go's zero value).
    slots: Vec<Option<T>>,
    /// How many slots the ring may use before it grows (Go's `cap`).
    capacity: usize,
    start: usize,
    stop: usize,
    size: usize,
}

impl<T> Default for Ring<T> {
    fn default() -> Self {
        Ring {
            slots: Vec::new(),
            capacity: 0,
            start: 0,
            stop: 0,
            size: 0,
        }
    }
}

impl<T> Ring<T> {
    /// Adds a point after the others.
    pub(super) fn insert(&mut self, point: T) {
        if self.size == self.capacity {
            self.grow();
        }
        if self.slots.len() == self.capacity && self.stop == self.slots.len() {
            self.stop = 0;
        }
        if self.stop == self.slots.len() {
            self.slots.push(Some(point));
        } else {
            self.slots[self.stop] = Some(point);
        }
        self.size += 1;
        self.stop += 1;
    }

    /// Moves the points into new slots, `2 × (size + 1)` of them, as Kapacitor copies them:
    /// from the start to the end of the slots, then from the first slot to the stop.
    fn grow(&mut self) {
        let capacity = 2 * (self.size + 1);
        let mut slots: Vec<Option<T>> = std::iter::repeat_with(|| None)
            .take(self.size + 1)
            .collect();
        if self.size > 0 {
            let mut old: Vec<Option<T>> = std::mem::take(&mut self.slots);
            if self.stop > self.start {
                for (to, from) in (self.start..self.stop).enumerate() {
                    if let Some(slot) = slots.get_mut(to) {
                        *slot = old[from].take();
                    }
                }
            } else {
                let first = old.len() - self.start;
                for (to, from) in (self.start..old.len()).enumerate() {
                    if let Some(slot) = slots.get_mut(to) {
                        *slot = old[from].take();
                    }
                }
                // Go copies the second run to `size - start`, which is `first` in a ring
                // that is full, as it is when it grows.
                let offset = self.size.checked_sub(self.start).unwrap_or(first);
                for (to, from) in (0..self.stop).enumerate() {
                    if let Some(slot) = slots.get_mut(offset + to) {
                        *slot = old[from].take();
                    }
                }
            }
        }
        self.slots = slots;
        self.capacity = capacity;
        self.start = 0;
        self.stop = self.size;
    }

    /// Drops points from the front while `kept` is false for them, Kapacitor's way.
    pub(super) fn purge(&mut self, kept: impl Fn(&T) -> bool) {
        let kept = |slot: &Option<T>| slot.as_ref().is_some_and(&kept);
        let l = self.slots.len();
        if l == 0 {
            return;
        }
        if self.start < self.stop {
            while self.start < self.stop && !kept(&self.slots[self.start]) {
                self.start += 1;
            }
            self.size = self.stop - self.start;
        } else if kept(&self.slots[l - 1]) {
            while self.start < l && !kept(&self.slots[self.start]) {
                self.start += 1;
            }
            self.size = l - self.start + self.stop;
        } else {
            self.start = 0;
            while self.start < self.stop && !kept(&self.slots[self.start]) {
                self.start += 1;
            }
            self.size = self.stop - self.start;
        }
    }

    /// The points of the window, in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        let (first, second) = if self.size == 0 {
            (0..0, 0..0)
        } else if self.stop > self.start {
            (self.start..self.stop, 0..0)
        } else {
            (self.start..self.slots.len(), 0..self.stop)
        };
        first
            .chain(second)
            .filter_map(move |i| self.slots.get(i).and_then(Option::as_ref))
    }
}

#[cfg(test)]
mod tests {
    use super::Ring;

    fn window(ring: &Ring<i64>) -> Vec<i64> {
        ring.iter().copied().collect()
    }

    #[test]
    fn keeps_points_in_order_while_it_grows_and_wraps() {
        let mut ring = Ring::default();
        for t in 0..20 {
            ring.insert(t);
            if t % 3 == 0 {
                ring.purge(|&p| p >= t - 4);
            }
            let expected: Vec<i64> = window(&ring);
            assert!(expected.windows(2).all(|w| w[0] < w[1]), "{expected:?}");
        }
        ring.purge(|&p| p >= 17);
        assert_eq!(window(&ring), [17, 18, 19]);
    }

    #[test]
    fn a_ring_emptied_at_the_end_of_its_slots_brings_old_points_back_as_kapacitors_does() {
        // Six slots, all used, then a purge that empties them: start and stop meet at the
        // end. The next point wraps to the first slot and the next purge reads the ring as
        // wrapped: it keeps every slot from the start on.
        let mut ring = Ring::default();
        for t in [0, 8, 8, 10, 15, 18] {
            ring.insert(t);
        }
        ring.purge(|&p| p >= 19);
        assert_eq!(window(&ring), Vec::<i64>::new());
        for t in [21, 21, 24, 24, 25, 30] {
            ring.insert(t);
        }
        ring.purge(|&p| p >= 30);
        assert_eq!(window(&ring), [21, 21, 24, 24, 25, 30]);
    }
}
