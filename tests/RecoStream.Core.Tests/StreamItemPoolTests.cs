using System.Globalization;
using System.Text;
using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;

namespace RecoStream.Core.Tests;

public class StreamItemPoolTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_500_000);
    private readonly EventParser _parser = new(new InputLimits());

    // Lines of every shape an event takes: features of different counts, categories, no value, an unknown type, a date.
    private static readonly string[] Shapes =
    [
        """{"user":"u1","item":"i1","type":"rating","value":4.5,"ts":1700000000000,"features":{"price":19.9,"qty":2}}""",
        """{"user":"u2","item":"i2","type":"view","ts":1700000001000}""",
        """{"user":"u3","item":"i1","type":"click","ts":1700000002000,"features":{"device":"phone","hour":13}}""",
        """{"user":"u1","item":"i3","type":"purchase","value":12.0,"ts":"2023-11-14T22:13:23Z","features":{"price":5,"qty":1,"discount":0.1}}""",
        """{"user":"u4","item":"i2","type":"wishlist","ts":1700000004000}""",
        """{"user":"u\u0035","item":"i4","type":"view","ts":1700000005000,"features":{"category":"books"}}""",
        """{"user":"u2","item":"i4","type":"rating","value":null,"ts":1700000006000}""",
    ];

    private StreamItem[] ParseBatch(IEnumerable<string> lines, StreamItemPool.Renter? renter, long firstNumber = 1)
    {
        var batch = new List<StreamItem>();
        var number = firstNumber;
        foreach (var line in lines)
        {
            batch.Add(_parser.Parse(number++, Encoding.UTF8.GetBytes(line), tooLong: false, origin: null, arrivedAt: 0, renter));
        }

        return renter is null ? [.. batch] : renter.ToBatch(batch);
    }

    // What the pipeline does to an item: validation, cleaning (keys), features, normalization (values in place), a
    // prediction and a label; some lines end up rejected.
    private static void Process(StreamItem[] batch, Preprocessing stages)
    {
        foreach (var item in batch)
        {
            stages.Normalizer.Normalize(stages.Extractor.Extract(stages.Cleaner.Clean(stages.Validator.Validate(item))));
            item.Prediction = 3.25;
            item.Label = 1;
            item.Applied = true;
            item.Origin = new Origin();
            item.ArrivedAt = 42;
        }

        batch[1].Reject(RejectReason.Duplicate, "a duplicate");
    }

    private static string Describe(StreamItem item)
    {
        var e = item.Event!;
        var behaviour = new double[BehaviourVector.Count];
        for (var i = 0; i < behaviour.Length; i++)
        {
            behaviour[i] = e.Behaviour[i];
        }

        return string.Join('|',
            item.LineNumber, item.Kind, item.Reason, item.Message, item.Origin is null, item.ArrivedAt, item.Prediction, item.Label,
            item.Applied, item.WasRequest, item.Request is null, item.Window is null,
            e.User, e.Item, e.Type, e.Value?.ToString(CultureInfo.InvariantCulture), e.TimestampMs, e.RawTypeName,
            string.Join(',', e.FeatureNames), string.Join(',', e.FeatureValues.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
            string.Join(',', e.Categories), e.UserKey, e.ItemKey, e.Strength, e.HasBehaviour, e.Retained,
            string.Join(',', behaviour));
    }

    [Fact]
    public void Parse_IntoRecycledItems_GivesExactlyWhatAFreshParseGives()
    {
        var pool = new StreamItemPool();
        var renter = pool.NewRenter();
        var stages = new Preprocessing(new PreprocessingOptions(), new ManualTime(Now));
        var first = ParseBatch(Shapes, renter);
        Process(first, stages);
        pool.Return(first);

        // The same shapes in another order, so that each recycled event held a line of another shape before.
        var reordered = Shapes.Reverse().ToArray();
        var recycled = ParseBatch(reordered, renter, firstNumber: 100);
        var fresh = ParseBatch(reordered, renter: null, firstNumber: 100);

        Assert.All(recycled, item => Assert.Contains(item, first)); // really reused: every item is one of the first batch's
        Assert.Equal(fresh.Select(Describe), recycled.Select(Describe));
    }

    [Fact]
    public void Parse_WhenThePoolIsEmpty_MakesNewItems()
    {
        var renter = new StreamItemPool().NewRenter();

        var a = ParseBatch(Shapes, renter);
        var b = ParseBatch(Shapes, renter);

        Assert.Empty(a.Intersect(b));
        Assert.Equal(ParseBatch(Shapes, null).Select(Describe), b.Select(Describe));
    }

    [Fact]
    public void RetainedEvents_RequestsAndParserRejections_AreNeverParsedInto()
    {
        var pool = new StreamItemPool();
        var renter = pool.NewRenter();
        var batch = ParseBatch(
        [
            Shapes[0],
            """{"op":"recommend","user":"u1","k":3}""",
            """{"user":"u1","item":""",
            Shapes[1],
            Shapes[2],
        ], renter);
        var window = new WindowedBatchLearner(new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 4 }), new WindowedBatchOptions());
        window.Learn(batch[3].Event!, 4.0); // the window keeps this event until it closes
        pool.Return(batch);

        var next = ParseBatch(Enumerable.Repeat(Shapes[4], 10), renter);

        Assert.Contains(batch[0], next);
        Assert.Contains(batch[4], next);
        Assert.DoesNotContain(batch[1], next); // the request
        Assert.DoesNotContain(batch[2], next); // the malformed line
        Assert.DoesNotContain(batch[3], next); // the retained event
        Assert.True(batch[3].Event!.Retained);
        Assert.Equal("u2", batch[3].Event!.User);
        Assert.Equal(StreamItemKind.Request, batch[1].Kind);
    }

    [Fact]
    public void ToBatch_ReusesASpentArrayOfTheSameLengthOnly()
    {
        var pool = new StreamItemPool();
        var renter = pool.NewRenter();
        var first = ParseBatch(Shapes, renter);
        pool.Return(first);

        var shorter = ParseBatch(Shapes.Take(3), renter); // takes three items: the array is not spent yet
        var rest = ParseBatch(Shapes.Take(4), renter); // takes the other four: now it is
        var again = ParseBatch(Shapes, renter);

        Assert.NotSame(first, shorter);
        Assert.NotSame(first, rest);
        Assert.Same(first, again);
        Assert.Equal(ParseBatch(Shapes, null).Select(Describe), again.Select(Describe));
    }

    [Fact]
    public void Return_BeyondTheBound_LeavesBatchesToTheCollector()
    {
        var pool = new StreamItemPool();
        for (var i = 0; i < StreamItemPool.MaxBatches + 10; i++)
        {
            pool.Return(ParseBatch(Shapes.Take(1), null));
        }

        Assert.Equal(StreamItemPool.MaxBatches, pool.Waiting);
        var renter = pool.NewRenter();
        for (var i = 0; i < StreamItemPool.MaxBatches; i++)
        {
            ParseBatch(Shapes.Take(1), renter);
        }

        Assert.Equal(0, pool.Waiting);
    }

    [Fact]
    public void SteadyStateParsing_OfKnownIds_AllocatesNothing()
    {
        // 256 lines over 40 users and 30 items with two features each, parsed, handed back and parsed again, as the worker's
        // sources and pipeline do.
        var lines = Enumerable.Range(0, 256).Select(n => Encoding.UTF8.GetBytes(
            $$$"""{"user":"user-{{{n % 40}}}","item":"item-{{{n % 30}}}","type":"rating","value":{{{1 + (n % 5)}}},"ts":{{{1_700_000_000_000L + n}}},"features":{"price":{{{n}}}.5,"hour":{{{n % 24}}}}}""")).ToArray();
        var pool = new StreamItemPool();
        var renter = pool.NewRenter();
        var batch = new List<StreamItem>(lines.Length);

        long RunRounds(int rounds)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var round = 0; round < rounds; round++)
            {
                for (var n = 0; n < lines.Length; n++)
                {
                    batch.Add(_parser.Parse(n + 1, lines[n], tooLong: false, origin: null, arrivedAt: 0, renter));
                }

                pool.Return(renter.ToBatch(batch));
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        var warmUp = RunRounds(3);
        var steady = RunRounds(20);

        Assert.True(warmUp > 0); // the first round made the items, the strings and the arrays
        Assert.Equal(0, steady);
    }

    [Fact]
    public void IdStrings_GiveTheSameStringForTheSameBytes_AndTheRightStringForEveryId()
    {
        var first = IdStrings.Get("user-17"u8);
        Assert.Same(first, IdStrings.Get("user-17"u8));
        Assert.Equal("user-17", first);

        // More ids than a table holds: it grows, then starts again empty, and never gives an id another's string or key
        // (the second round's ids land in slots whose keys the first round computed).
        for (var round = 0; round < 3; round++)
        {
            for (var n = 0; n < IdStrings.MaxIds + 5_000; n++)
            {
                var id = (round == 1 ? "w" : "u") + n.ToString(CultureInfo.InvariantCulture);
                Assert.Equal(id, IdStrings.Get(Encoding.ASCII.GetBytes(id), 'u', out var key));
                Assert.Equal(KeyHash.Of('u', id), key);
                Assert.InRange(IdStrings.Count, 1, IdStrings.MaxIds);
            }
        }

        var again = IdStrings.Get("user-17"u8);
        Assert.Same(again, IdStrings.Get("user-17"u8));

        Assert.Null(IdStrings.Get("usér"u8)); // not ASCII: decoded by the caller
        Assert.Null(IdStrings.Get(Encoding.ASCII.GetBytes(new string('u', IdStrings.MaxLength + 1))));
        Assert.Equal(new string('u', IdStrings.MaxLength), IdStrings.Get(Encoding.ASCII.GetBytes(new string('u', IdStrings.MaxLength))));
        Assert.Equal("", IdStrings.Get([]));
    }

    [Fact]
    public void Parse_IdsThroughTheStringCache_KeepTheParsersRules()
    {
        var parser = new EventParser(new InputLimits { MaxIdLength = 8 });
        StreamItem P(string json) => parser.Parse(new InputLine(1, Encoding.UTF8.GetBytes(json)));

        Assert.Equal("u5", P("""{"user":"u\u0035","item":"i","type":"view","ts":1}""").Event!.User);
        Assert.Equal("usér", P("""{"user":"usér","item":"i","type":"view","ts":1}""").Event!.User);
        Assert.Same(P("""{"user":"u7","item":"i","type":"view","ts":1}""").Event!.User, P("""{"user":"u7","item":"j","type":"view","ts":2}""").Event!.User);
        Assert.Equal(RejectReason.EmptyId, P("""{"user":"  ","item":"i","type":"view","ts":1}""").Reason);
        Assert.Equal(RejectReason.IdTooLong, P("""{"user":"u123456789","item":"i","type":"view","ts":1}""").Reason);
        Assert.Equal(RejectReason.MalformedJson, parser.Parse(new InputLine(1, (byte[])[.. "{\"user\":\"u"u8, 0xC3, 0x28, .. "\",\"item\":\"i\",\"type\":\"view\",\"ts\":1}"u8])).Reason);
    }

    [Fact]
    public void Parse_KeptIds_CarryTheirKeys_OtherIdsGetThemFromTheCleaningStage()
    {
        var stages = new Preprocessing(new PreprocessingOptions(), new ManualTime(Now));

        // Plain ids: the keys come from the id table (the same id as user and as item has two different keys).
        var parsed = _parser.Parse(new InputLine(1, """{"user":"k1","item":"k1","type":"view","ts":1700000000000}"""u8.ToArray())).Event!;
        Assert.Equal((KeyHash.Of('u', "k1"), KeyHash.Of('i', "k1")), (parsed.UserKey, parsed.ItemKey));
        Assert.NotEqual(parsed.UserKey, parsed.ItemKey);
        var again = _parser.Parse(new InputLine(2, """{"user":"k1","item":"k2","type":"view","ts":1700000000000}"""u8.ToArray())).Event!;
        Assert.Equal((KeyHash.Of('u', "k1"), KeyHash.Of('i', "k2")), (again.UserKey, again.ItemKey));

        // Escaped and non-ASCII ids are not kept: no key from the parser, the cleaning stage computes it.
        var line = Encoding.UTF8.GetBytes("""{"user":"k\u0033","item":"ké","type":"view","ts":1700000000000}""");
        var escaped = _parser.Parse(new InputLine(3, line)).Event!;
        Assert.Equal((0UL, 0UL), (escaped.UserKey, escaped.ItemKey));
        var cleaned = stages.Cleaner.Clean(stages.Validator.Validate(_parser.Parse(new InputLine(4, line)))).Event!;
        Assert.Equal((KeyHash.Of('u', "k3"), KeyHash.Of('i', "ké")), (cleaned.UserKey, cleaned.ItemKey));

        // MovieLens lines too, into a recycled item that held other ids before.
        var pool = new StreamItemPool();
        var renter = pool.NewRenter();
        var spent = ParseBatch(["""{"user":"k1","item":"k2","type":"view","ts":1700000000000}"""], renter);
        pool.Return(spent);
        var rating = new MovieLensParser(MovieLensLayout.Tab).Parse(6, "k7\tk8\t4\t881250949"u8, tooLong: false, origin: null, arrivedAt: 0, renter).Event!;
        Assert.Same(spent[0].Event, rating);
        Assert.Equal((KeyHash.Of('u', "k7"), KeyHash.Of('i', "k8")), (rating.UserKey, rating.ItemKey));
    }

    private sealed class Origin : ILineOrigin
    {
        public string Source => "test";
    }
}
