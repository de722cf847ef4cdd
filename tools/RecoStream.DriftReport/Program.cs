using System.Globalization;
using System.Text;
using RecoStream.Core.Events;
using RecoStream.Core.Learners;

// A stream of ratings from a planted rank-2 matrix (60 users, 50 items) whose item profiles flip sign halfway:
// every user's tastes reverse. Both forms of the biased MF learner see the same events; the sliding prequential
// RMSE (per block of events, each predicted before it is learned) shows how fast each recovers.
const string Help = """
    RecoStream.DriftReport: incremental vs windowed-batch biased MF on a stream with a preference shift halfway.

    Usage:
      RecoStream.DriftReport [--events N] [--block N] [--window N] [--seed N] [--svg FILE]

      --events N   ratings in the stream (default 60000; the shift is at N/2)
      --block N    events per row of the table / point of the chart (default 2500)
      --window N   events per window of the windowed-batch form (default 5000; 3 epochs)
      --seed N     random seed (default 11)
      --svg FILE   also write the chart as SVG

    """;

int events = 60_000, block = 2_500, window = 5_000, seed = 11;
string? svg = null;
for (var a = 0; a < args.Length; a++)
{
    int Next() => int.Parse(args[++a], CultureInfo.InvariantCulture);
    switch (args[a])
    {
        case "--events": events = Next(); break;
        case "--block": block = Next(); break;
        case "--window": window = Next(); break;
        case "--seed": seed = Next(); break;
        case "--svg": svg = args[++a]; break;
        case "--help" or "-h": Console.Out.Write(Help); return 0;
        default: Console.Error.Write($"unknown argument '{args[a]}'\n\n{Help}"); return 2;
    }
}

var rng = new Random(seed);
var pu = Enumerable.Range(0, 60).Select(_ => new[] { rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1 }).ToArray();
var qi = Enumerable.Range(0, 50).Select(_ => new[] { rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1 }).ToArray();
var stream = new List<(UserEvent Event, double Label)>(events);
for (var n = 0; n < events; n++)
{
    var (u, i) = (rng.Next(pu.Length), rng.Next(qi.Length));
    var sign = n < events / 2 ? 1 : -1;
    var label = 3 + sign * 1.5 * (pu[u][0] * qi[i][0] + pu[u][1] * qi[i][1]) + 0.1 * (rng.NextDouble() - 0.5);
    stream.Add((new UserEvent("u" + u, "i" + i, EventType.Rating, label, n * 1000L, [], []), label));
}

BiasedMatrixFactorization Mf() => new(new BiasedMatrixFactorizationOptions { Rank = 8, MinRating = -10, MaxRating = 20 });
var learners = new (string Name, IOnlineLearner Learner)[]
{
    ("incremental", Mf()),
    ("windowed-batch", new WindowedBatchLearner(Mf(), new WindowedBatchOptions { Epochs = 3 })),
};
var curves = learners.Select(_ => new List<double>()).ToArray();
for (var l = 0; l < learners.Length; l++)
{
    var sum = 0.0;
    for (var n = 0; n < stream.Count; n++)
    {
        var (e, label) = stream[n];
        var error = learners[l].Learner.Learn(e, label) - label;
        if ((n + 1) % window == 0 && learners[l].Learner is WindowedBatchLearner batch)
        {
            // Windows of `window` events, as the worker's window stage closes them with RecoStream:Windows:Events.
            batch.CloseWindow();
        }

        sum += error * error;
        if ((n + 1) % block == 0)
        {
            curves[l].Add(Math.Sqrt(sum / block));
            sum = 0;
        }
    }
}

Console.WriteLine($"| events | {string.Join(" | ", learners.Select(l => l.Name + " RMSE"))} |");
Console.WriteLine($"|---|{string.Concat(learners.Select(_ => "---|"))}");
for (var b = 0; b < curves[0].Count; b++)
{
    var end = (b + 1) * block;
    var mark = end - block < events / 2 && end > events / 2 || end - block == events / 2 ? " (shift)" : "";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {end - block + 1}-{end}{mark} | {string.Join(" | ", curves.Select(c => c[b].ToString("F3", CultureInfo.InvariantCulture)))} |"));
}

if (svg is not null)
{
    File.WriteAllText(svg, Chart(curves, learners.Select(l => l.Name).ToArray(), block, events));
    Console.Error.WriteLine($"wrote {svg}");
}

return 0;

static string Chart(List<double>[] curves, string[] names, int block, int events)
{
    const int Width = 720, Height = 360, Left = 60, Right = 20, Top = 30, Bottom = 50;
    var max = Math.Ceiling(curves.SelectMany(c => c).Max() * 4) / 4;
    double X(int b) => Left + (Width - Left - Right) * (b + 0.5) / curves[0].Count;
    double Y(double v) => Top + (Height - Top - Bottom) * (1 - v / max);
    string[] colours = ["#1f77b4", "#d62728"];
    var s = new StringBuilder();
    s.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
    s.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
    s.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"18\" font-size=\"14\">Sliding prequential RMSE per {block:N0} events; preference shift at event {events / 2:N0}</text>\n");
    for (var t = 0; t <= 4; t++)
    {
        var v = max * t / 4;
        s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(v):F1}\" y2=\"{Y(v):F1}\" stroke=\"#ddd\"/><text x=\"{Left - 8}\" y=\"{Y(v) + 4:F1}\" text-anchor=\"end\">{v:F2}</text>\n");
    }

    var shiftX = Left + (Width - Left - Right) * 0.5;
    s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{shiftX:F1}\" x2=\"{shiftX:F1}\" y1=\"{Top}\" y2=\"{Height - Bottom}\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n");
    s.Append(CultureInfo.InvariantCulture, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 15}\" text-anchor=\"middle\">events (0 to {events:N0})</text>\n");
    for (var c = 0; c < curves.Length; c++)
    {
        var points = string.Join(" ", curves[c].Select((v, b) => string.Create(CultureInfo.InvariantCulture, $"{X(b):F1},{Y(v):F1}")));
        s.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colours[c % colours.Length]}\" stroke-width=\"2\" points=\"{points}\"/>\n");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right - 140}\" y=\"{Top + 16 + 16 * c}\" fill=\"{colours[c % colours.Length]}\">{names[c]}</text>\n");
    }

    s.Append("</svg>\n");
    return s.ToString();
}
