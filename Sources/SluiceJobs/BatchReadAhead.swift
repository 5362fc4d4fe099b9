import SluiceFrame
import SluicePostgres

/// The batches of a PostgreSQL source, read ahead of their use on a task of their own: the
/// next batch is read while the run scores and stages the current one, and a training run
/// starts reading its scoring rows (a few batches at most) while it fits. Memory holds the
/// batches read ahead plus the one in use.
///
/// One owner uses it (`next()` is mutating); at most one read is in flight at a time, which
/// is what the source's iterator asks for.
struct BatchReadAhead {
    private let iterator: PostgresBatches.Iterator
    private var pending: Task<Chunk, any Error>?
    private var ready: ArraySlice<Frame> = []
    private var exhausted = false

    private struct Chunk: Sendable {
        var batches: [Frame]
        var exhausted: Bool
    }

    /// Starts reading the first `ahead` batches of `batches` now.
    init(_ batches: PostgresBatches, ahead: Int = 1) {
        iterator = batches.makeAsyncIterator()
        pending = Self.read(iterator, count: max(1, ahead))
    }

    private static func read(_ iterator: PostgresBatches.Iterator, count: Int) -> Task<Chunk, any Error> {
        Task {
            var it = iterator, out: [Frame] = []
            while out.count < count {
                guard let batch = try await it.next() else { return Chunk(batches: out, exhausted: true) }
                out.append(batch)
            }
            return Chunk(batches: out, exhausted: false)
        }
    }

    /// The next batch, or `nil` after the last; starts reading the one after it when none is
    /// ready.
    mutating func next() async throws -> Frame? {
        if ready.isEmpty {
            guard let pending else { return nil }
            self.pending = nil
            let chunk = try await pending.value
            ready = chunk.batches[...]
            exhausted = chunk.exhausted
        }
        guard let batch = ready.popFirst() else { return nil }
        if ready.isEmpty, !exhausted { pending = Self.read(iterator, count: 1) }
        return batch
    }

    /// Stops reading ahead: waits for the read in flight (a few batches at most) and drops
    /// what was read; the source's connection closes with the iterator.
    mutating func cancel() async {
        if let pending { _ = try? await pending.value }
        pending = nil
        ready = []
        exhausted = true
    }
}
