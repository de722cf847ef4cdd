using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RecoStream.EventGen;

namespace RecoStream.Worker.Tests;

public sealed class WorkerTcpTests : IDisposable
{
    private const string Token = "s3cret-token-for-tests";
    private readonly TestStore _store = new();
    private readonly int _tcpPort = WorkerProcess.FreePort();
    private readonly int _httpPort = WorkerProcess.FreePort();

    public void Dispose() => _store.Dispose();

    private WorkerProcess StartDaemon(params string[] extra) => WorkerProcess.Start(
    [
        $"--RecoStream:Storage:Path={_store.Path}",
        $"--RecoStream:Metrics:Port={_httpPort}",
        $"--RecoStream:Ingest:Tcp:Port={_tcpPort}",
        .. extra,
    ]);

    private static string Event(string user, string item, string type = "view", long ts = 1) =>
        $$"""{"user":"{{user}}","item":"{{item}}","type":"{{type}}","ts":{{ts}}}""";

    private static JsonElement Json(string line) => JsonDocument.Parse(line).RootElement;

    [Fact]
    public async Task Flush_SixteenConcurrentClients_EachAcceptedCountEqualsLinesSent()
    {
        using var worker = StartDaemon();
        worker.CloseInput(); // With TCP on, the end of stdin does not end the run.
        const int Clients = 16, PerClient = 3000;

        var answers = await Task.WhenAll(Enumerable.Range(0, Clients).Select(async c =>
        {
            using var client = await LineClient.ConnectAsync(_tcpPort);
            await client.SendAsync(Enumerable.Range(0, PerClient).Select(n => Event($"c{c}u{n % 50}", $"i{n % 300}", ts: n)));
            return Json(await client.AskAsync("""{"op":"flush"}"""));
        }));

        Assert.All(answers, a =>
        {
            Assert.True(a.GetProperty("ok").GetBoolean());
            Assert.Equal(PerClient, a.GetProperty("accepted").GetInt64());
            Assert.Equal(0, a.GetProperty("rejected").GetInt64());
        });
        var metrics = await WorkerProcess.ScrapeAsync(_httpPort);
        Assert.Equal(Clients * PerClient, Metrics.Value(metrics, "recostream_events_received_total{source=\"tcp\"}"));
        Assert.Equal(Clients * PerClient, Metrics.Value(metrics, "recostream_model_updates_total{learner=\"linear\"}"));

        worker.Terminate();
        Assert.Equal(0, worker.WaitForExit());
        // The last flush made everything durable: the final checkpoint (that flush's, or the shutdown's) holds every event.
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(worker.Stderr, $@"Checkpoint \((flush|shutdown)\): {Clients * PerClient} events applied"), worker.Stderr);
    }

    [Fact]
    public async Task Flush_AnswerWaitingForItsCheckpoint_ComesInLineOrder_AndHoldsAfterKill()
    {
        using var worker = StartDaemon();
        worker.CloseInput();
        using (var client = await LineClient.ConnectAsync(_tcpPort))
        {
            // Events applied after a flush delay its answer until a checkpoint covers it; the recommend request behind
            // it must still be answered after it, and the second flush counts the lines of both.
            await client.SendAsync(Enumerable.Range(0, 300).Select(n => Event($"u{n % 20}", $"i{n % 30}", ts: n))
                .Append("""{"op":"flush"}""")
                .Append("""{"op":"recommend","user":"u1","k":2}""")
                .Concat(Enumerable.Range(300, 100).Select(n => Event($"u{n % 20}", $"i{n % 30}", ts: n)))
                .Append("""{"op":"flush"}"""));
            await client.FlushAsync();

            Assert.Equal(300, Json(await client.ReadLineAsync()).GetProperty("accepted").GetInt64());
            Assert.Equal(2, Json(await client.ReadLineAsync()).GetProperty("items").GetArrayLength());
            Assert.Equal(400, Json(await client.ReadLineAsync()).GetProperty("accepted").GetInt64());
        }

        using (var closing = await LineClient.ConnectAsync(_tcpPort))
        {
            // A client that stops sending after its flush still gets the answer once the checkpoint is written.
            await closing.SendAsync(Enumerable.Range(0, 50).Select(n => Event($"w{n % 5}", $"i{n % 30}", ts: n)).Append("""{"op":"flush"}"""));
            await closing.FlushAsync();
            closing.Stream.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            Assert.Equal(50, Json(await closing.ReadLineAsync()).GetProperty("accepted").GetInt64());
        }

        // What the flushes answered is on disk: kill -9, then a restart finds all 450 events.
        worker.KillHard();
        using var restarted = WorkerProcess.Start([$"--RecoStream:Storage:Path={_store.Path}", "--RecoStream:Metrics:Port=0"]);
        restarted.CloseInput();
        Assert.Equal(0, restarted.WaitForExit());
        Assert.Contains("450 events applied", restarted.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connection_OverLongLineAndBinaryGarbage_AreRejectedAndFramingContinues()
    {
        using var worker = StartDaemon("--RecoStream:Ingest:MaxLineBytes=1024");
        using var client = await LineClient.ConnectAsync(_tcpPort);

        await client.SendAsync(Event("a", "x"));
        await client.SendAsync("{\"user\":\"a\",\"pad\":\"" + new string('z', 100_000) + "\"}");
        await client.SendAsync(Event("a", "y"));
        await client.SendRawAsync([0x00, 0xFF, 0xFE, 0x7B, 0x22, 0x0A, 0xC3, 0x28, 0x0A]);
        await client.SendAsync(Event("b", "z"));
        var flushed = Json(await client.AskAsync("""{"op":"flush"}"""));

        Assert.Equal(3, flushed.GetProperty("accepted").GetInt64());
        Assert.Equal(3, flushed.GetProperty("rejected").GetInt64());
        var metrics = await WorkerProcess.ScrapeAsync(_httpPort);
        Assert.Equal(1, Metrics.Value(metrics, "recostream_events_rejected_total{reason=\"line_too_long\"}"));
        Assert.Equal(2, Metrics.Value(metrics, "recostream_events_rejected_total{reason=\"malformed_json\"}"));
    }

    [Fact]
    public async Task Connection_ClientDisconnectsMidLine_CompleteLinesAreAppliedAndWorkerServesOthers()
    {
        using var worker = StartDaemon();
        using (var client = await LineClient.ConnectAsync(_tcpPort))
        {
            await client.SendAsync([Event("a", "x"), Event("a", "y")]);
            await client.SendRawAsync(Encoding.UTF8.GetBytes("""{"user":"a","item":"z","ty"""));
        }

        using var other = await LineClient.ConnectAsync(_tcpPort);
        await other.SendAsync(Event("b", "x"));
        Assert.Equal(1, Json(await other.AskAsync("""{"op":"flush"}""")).GetProperty("accepted").GetInt64());

        // The first client's lines were queued before the second's flush only if they arrived first; wait for them by metrics.
        string metrics;
        do
        {
            metrics = await WorkerProcess.ScrapeAsync(_httpPort);
        }
        while (Metrics.Sum(metrics, "recostream_events_rejected_total") < 1 && !worker.Stderr.Contains("failed", StringComparison.Ordinal));

        Assert.Equal(3, Metrics.Value(metrics, "recostream_model_updates_total{learner=\"linear\"}"));
        Assert.Equal(1, Metrics.Value(metrics, "recostream_events_rejected_total{reason=\"malformed_json\"}"));
    }

    [Fact]
    public async Task Connection_ClientThatReadsLate_GetsEveryAnswerInOrderWhileOthersAreServed()
    {
        using var worker = StartDaemon("--RecoStream:Ingest:Tcp:MaxInFlightPerConnection=64");
        using var setup = await LineClient.ConnectAsync(_tcpPort);
        await setup.SendAsync(Enumerable.Range(0, 500).Select(n => Event($"u{n % 20}", $"i{n % 100}")));
        await setup.AskAsync("""{"op":"flush"}""");

        using var slow = await LineClient.ConnectAsync(_tcpPort);
        const int Requests = 20_000;
        var sending = Task.Run(async () =>
        {
            for (var n = 0; n < Requests; n++)
            {
                await slow.SendAsync($$"""{"op":"predict","user":"u{{n % 20}}","item":"n{{n}}"}""");
            }

            await slow.FlushAsync();
        });

        // While the slow client's answers pile up unread, another client is still answered.
        using var other = await LineClient.ConnectAsync(_tcpPort);
        var recommendation = Json(await other.AskAsync("""{"op":"recommend","user":"u3","k":5}"""));
        Assert.Equal(5, recommendation.GetProperty("items").GetArrayLength());

        for (var n = 0; n < Requests; n++)
        {
            Assert.Equal($"n{n}", Json(await slow.ReadLineAsync()).GetProperty("item").GetString());
        }

        await sending;
    }

    [Fact]
    public async Task Connection_ClientThatDoesNotReadItsAnswers_IsNotReadFurther_UntilItDoes()
    {
        // Each answer holds its line's slot until it is written; once the socket's buffers are full of unread answers,
        // the worker stops taking this client's lines, so a client that never reads cannot grow the worker's memory.
        // The answers (about 250 bytes each, from long item ids) add up to 25 MB, more than the kernel buffers hold.
        using var worker = StartDaemon("--RecoStream:Ingest:Tcp:MaxInFlightPerConnection=64");
        using var client = await LineClient.ConnectAsync(_tcpPort);
        const int Requests = 100_000;
        var padding = new string('x', 200);
        var sending = Task.Run(async () =>
        {
            for (var n = 0; n < Requests; n += 1000)
            {
                await client.SendAsync(Enumerable.Range(n, 1000).Select(r => $$"""{"op":"predict","user":"u{{r % 20}}","item":"n{{r}}-{{padding}}"}"""));
            }

            await client.FlushAsync();
        });

        // Wait until the count of requests answered stops growing.
        double taken = -1, answered;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            await Task.Delay(500);
            answered = Metrics.Value(await WorkerProcess.ScrapeAsync(_httpPort), "recostream_requests_total{op=\"predict\"}") ?? 0;
            if ((answered == taken && answered > 0) || DateTime.UtcNow > deadline)
            {
                break;
            }

            taken = answered;
        }

        // Stopped well before the end while nothing was read (with no bound, all 100,000 are answered at once).
        Assert.True(answered >= 64 && answered <= Requests / 2, $"{answered} requests answered");

        // Reading the answers frees the slots: every request is answered, in order.
        for (var n = 0; n < Requests; n++)
        {
            Assert.Equal($"n{n}-{padding}", Json(await client.ReadLineAsync()).GetProperty("item").GetString());
        }

        await sending;
    }

    [Fact]
    public async Task Requests_ARunOfRecommends_GetsTheAnswersEachWouldGetAlone_AndAnEventBetweenCounts()
    {
        // Recommend requests sent together are scored in one pass; each answer must still be the one the request gets
        // on its own, and one after an event must reflect it.
        using var worker = StartDaemon("--RecoStream:Serving:Learner=mf");
        using var client = await LineClient.ConnectAsync(_tcpPort);
        await client.SendAsync(Enumerable.Range(0, 3000).Select(n =>
            $$"""{"user":"u{{n % 30}}","item":"i{{(n * 7) % 200}}","type":"rating","value":{{1 + (n * 13 % 5)}},"ts":{{n * 1000}}}"""));
        Assert.Contains("\"accepted\":3000,", await client.AskAsync("""{"op":"flush"}"""), StringComparison.Ordinal);
        var requests = Enumerable.Range(0, 12).Select(u => $$"""{"op":"recommend","user":"u{{u}}","k":{{3 + u}}}""")
            .Append("""{"op":"recommend","user":"nobody","k":4}""").ToArray();
        var alone = new List<string>();
        foreach (var request in requests)
        {
            alone.Add(await client.AskAsync(request));
        }

        // One write: the run, an event that changes the model, the run again.
        await client.SendAsync(requests.Append("""{"user":"u3","item":"i7","type":"rating","value":5,"ts":4000000}""").Concat(requests));
        await client.FlushAsync();
        var together = new List<string>();
        for (var n = 0; n < 2 * requests.Length; n++)
        {
            together.Add(await client.ReadLineAsync());
        }

        var afterEvent = new List<string>();
        foreach (var request in requests)
        {
            afterEvent.Add(await client.AskAsync(request));
        }

        Assert.Equal(alone, together[..requests.Length]);
        Assert.Equal(afterEvent, together[requests.Length..]);
        Assert.NotEqual(alone, afterEvent);
        Assert.Equal("model", Json(alone[0]).GetProperty("source").GetString());
    }

    [Fact]
    public async Task Requests_RecommendPredictAndErrors_AnsweredOnTheSameConnection()
    {
        // Rating predictions come from the biased MF learner.
        using var worker = StartDaemon("--RecoStream:Serving:Learner=mf");
        using var client = await LineClient.ConnectAsync(_tcpPort);
        await client.SendAsync(Enumerable.Range(0, 200).Select(n =>
            $$"""{"user":"u{{n % 10}}","item":"i{{n % 7}}","type":"rating","value":{{(n % 7 == 3 ? 5 : 1)}},"ts":{{n}}}"""));

        var recommendation = Json(await client.AskAsync("""{"op":"recommend","user":"new-user","k":3}"""));
        var predictGood = Json(await client.AskAsync("""{"op":"predict","user":"u1","item":"i3"}"""));
        var predictBad = Json(await client.AskAsync("""{"op":"predict","user":"u1","item":"i4"}"""));
        var error = Json(await client.AskAsync("""{"op":"recommend","user":"u1","k":-1}"""));
        var unknown = Json(await client.AskAsync("""{"op":"dance"}"""));

        Assert.Equal("popular", recommendation.GetProperty("source").GetString());
        Assert.Equal(3, recommendation.GetProperty("items").GetArrayLength());
        Assert.Equal("i3", predictGood.GetProperty("item").GetString());
        Assert.True(predictGood.GetProperty("score").GetDouble() > predictBad.GetProperty("score").GetDouble() + 1);
        Assert.Equal(204, error.GetProperty("line").GetInt64());
        Assert.Contains("'k'", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("unknown op", unknown.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_RequiredOnTcpAndHttpButNotOnHealth()
    {
        using var worker = StartDaemon($"--RecoStream:Security:Token={Token}");

        using (var anonymous = await LineClient.ConnectAsync(_tcpPort))
        {
            var refusal = Json(await anonymous.AskAsync(Event("a", "x")));
            Assert.Contains("authentication required", refusal.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Null(await anonymous.TryReadLineAsync());
        }

        using (var wrong = await LineClient.ConnectAsync(_tcpPort))
        {
            Assert.True(Json(await wrong.AskAsync("""{"op":"auth","token":"not-the-token"}""")).TryGetProperty("error", out _));
        }

        using (var client = await LineClient.ConnectAsync(_tcpPort))
        {
            Assert.True(Json(await client.AskAsync($$"""{"op":"auth","token":"{{Token}}"}""")).GetProperty("ok").GetBoolean());
            await client.SendAsync(Event("a", "x"));
            Assert.Equal(1, Json(await client.AskAsync("""{"op":"flush"}""")).GetProperty("accepted").GetInt64());
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_httpPort}") };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri("/recommend/a", UriKind.Relative))).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/metrics", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var authorized = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        Assert.Contains("recostream_events_received_total", await authorized.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_RecommendHealthAndReadiness()
    {
        using var worker = StartDaemon();
        using var client = await LineClient.ConnectAsync(_tcpPort);
        await client.SendAsync(Enumerable.Range(0, 100).Select(n => Event($"u{n % 5}", $"i{n % 30}")));
        await client.AskAsync("""{"op":"flush"}""");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_httpPort}") };

        var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        var recommend = await http.GetAsync(new Uri("/recommend/u2?k=4", UriKind.Relative));
        var badK = await http.GetAsync(new Uri("/recommend/u2?k=zero", UriKind.Relative));
        var outOfRange = await http.GetAsync(new Uri("/recommend/u2?k=0", UriKind.Relative));
        var missing = await http.GetAsync(new Uri("/nothing", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, recommend.StatusCode);
        var body = Json(await recommend.Content.ReadAsStringAsync());
        Assert.Equal("u2", body.GetProperty("user").GetString());
        Assert.Equal(4, body.GetProperty("items").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, badK.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, outOfRange.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        // HTTP and TCP answers come from the same model.
        Assert.Equal(body.GetProperty("items").ToString(),
            Json(await client.AskAsync("""{"op":"recommend","user":"u2","k":4}""")).GetProperty("items").ToString());
    }

    [Fact]
    public async Task MaxConnections_ExtraClientGetsErrorAndIsClosed()
    {
        using var worker = StartDaemon("--RecoStream:Ingest:Tcp:MaxConnections=2");
        using var first = await LineClient.ConnectAsync(_tcpPort);
        using var second = await LineClient.ConnectAsync(_tcpPort);
        await first.AskAsync("""{"op":"flush"}""");
        await second.AskAsync("""{"op":"flush"}""");

        using var third = await LineClient.ConnectAsync(_tcpPort);
        var refusal = Json(await third.ReadLineAsync());
        Assert.Contains("too many connections", refusal.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Null(await third.TryReadLineAsync());
    }

    [Fact]
    public async Task DropNewest_FullQueue_AcceptedPlusDroppedEqualsSent()
    {
        using var worker = StartDaemon("--RecoStream:Ingest:FullMode=DropNewest", "--RecoStream:Ingest:QueueCapacity=1");
        var lines = new SyntheticEventGenerator(new SyntheticEventOptions { Events = 50_000, Seed = 11 }).Lines().ToList();
        using var client = await LineClient.ConnectAsync(_tcpPort);
        await client.SendAsync(lines);

        var flushed = Json(await client.AskAsync("""{"op":"flush"}"""));

        var metrics = await WorkerProcess.ScrapeAsync(_httpPort);
        var dropped = Metrics.Value(metrics, "recostream_events_dropped_total{source=\"tcp\"}") ?? 0;
        Assert.Equal(lines.Count, flushed.GetProperty("accepted").GetInt64() + dropped);
    }
}
