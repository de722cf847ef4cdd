using RecoStream.Core.Learners;
using RocksDbSharp;

namespace RecoStream.Storage;

// The rows of one learner's keyed tables, read and written by the learner itself when its hot set is smaller than its tables.
public sealed partial class CheckpointStore
{
    private sealed class LearnerRowStore(CheckpointStore store, string learner) : IRowStore
    {
        private readonly byte[] _prefix = store.PrefixOf(learner);
        private readonly Dictionary<string, byte[]?> _expiryCursors = [];
        private readonly Dictionary<string, Iterator> _readers = [];

        public bool TryRead(string table, string id, Span<float> values, out int width, out long lastActiveMs)
        {
            var family = StoreLayout.RowFamily(table);
            var rowBase = StoreLayout.Base(_prefix, id);
            // A tailing iterator per table sees every write made after it was created, so one serves every read
            // (creating an iterator per read cost more than the seek).
            if (!_readers.TryGetValue(family, out var iterator))
            {
                iterator = store._db.NewIterator(store._families[family], new ReadOptions().SetTailing(true));
                _readers[family] = iterator;
                store._iterators.Add(iterator);
            }

            iterator.Seek(rowBase);
            if (!iterator.Valid() || !IsVersionOf(iterator.Key(), rowBase))
            {
                width = 0;
                lastActiveMs = 0;
                return false;
            }

            return store.DecodeRow(iterator.Value(), values, "learner/" + learner, exact: false, out width, out lastActiveMs);
        }

        public void WriteEvicted(string table, string id, ReadOnlySpan<float> values, long lastActiveMs)
        {
            var family = StoreLayout.RowFamily(table);
            var generation = store._reserved + 1;
            store._db.Put(StoreLayout.Versioned(StoreLayout.Base(_prefix, id), generation), EncodeRow(values, lastActiveMs), store._families[family],
                store._evictionWrites);
            store._ledger.Note(generation, family, _prefix, id);
            Volatile.Write(ref store._evictedSinceFlush, 1);
        }

        public IReadOnlyList<string> ScanExpired(string table, long cutoffMs, int maxRows)
        {
            var family = StoreLayout.RowFamily(table);
            var expired = new List<string>();
            _expiryCursors.TryGetValue(table, out var cursor);
            byte[] previous = [];
            var rows = 0;
            using var iterator = store._db.NewIterator(store._families[family], store._scan);
            iterator.Seek(cursor ?? _prefix);
            for (; ; iterator.Next())
            {
                if (!iterator.Valid() || !iterator.Key().AsSpan().StartsWith(_prefix))
                {
                    cursor = null; // the end of this learner's rows: the next scan starts over
                    break;
                }

                var key = iterator.Key();
                if (!StoreLayout.TryParseVersioned(key, out var parsed) || StoreLayout.SameRow(key, previous))
                {
                    continue; // an older version of the row just seen
                }

                if (++rows > maxRows)
                {
                    cursor = parsed.Base.ToArray();
                    break;
                }

                var id = parsed.IdString();
                previous = key;
                if (store.DecodeLastActive(iterator.Value(), "learner/" + learner) is { } lastActive && lastActive < cutoffMs)
                {
                    expired.Add(id);
                }
            }

            _expiryCursors[table] = cursor;
            return expired;
        }

        private static bool IsVersionOf(byte[] key, byte[] rowBase) => key.Length == rowBase.Length + 8 && key.AsSpan().StartsWith(rowBase);
    }
}
