using System.Globalization;
using System.Text;
using RecoStream.EventGen;

const string Help = """
    RecoStream.EventGen: writes a synthetic JSON-Lines event stream to stdout.

    Usage:
      RecoStream.EventGen [--events N] [--users N] [--items N] [--seed N] [--bad-fraction F] [--recommend u1,u2,...]

      --events N          event lines to write (default 100000)
      --users N           distinct users (default 2000)
      --items N           distinct items (default 500)
      --seed N            random seed; the same seed gives the same stream (default 42)
      --bad-fraction F    fraction of deliberately bad lines, 0..1 (default 0)
      --recommend LIST    after the events, one recommend request per listed user (k=5)

    """;

var options = new SyntheticEventOptions();
string[] recommendFor = [];
for (var a = 0; a < args.Length; a++)
{
    string Next() => a + 1 < args.Length ? args[++a] : throw new ArgumentException($"{args[a]} needs a value");
    switch (args[a])
    {
        case "--events": options.Events = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--users": options.Users = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--items": options.Items = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--seed": options.Seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--bad-fraction": options.BadFraction = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--recommend": recommendFor = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
        case "--help" or "-h":
            Console.Out.Write(Help);
            return 0;
        default:
            Console.Error.Write($"unknown argument '{args[a]}'\n\n{Help}");
            return 2;
    }
}

using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16);
new SyntheticEventGenerator(options).WriteTo(stdout);
foreach (var user in recommendFor)
{
    stdout.Write($"{{\"op\":\"recommend\",\"user\":\"{user}\",\"k\":5}}\n");
}

return 0;
