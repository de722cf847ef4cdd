using System.Globalization;
using System.Text;

namespace RecoStream.EventGen;

/// <summary>
/// A deterministic stream of user-behaviour events with structure worth learning: items have a Zipf-like
/// popularity, a quality and a price; users have a bias, an activity level and a taste vector, and ratings
/// follow 3.5 + user bias + item quality + taste . item profile + noise, clamped to 1..5.
/// Event ids are <c>u{n}</c> and <c>i{n}</c>.
/// </summary>
public sealed class SyntheticEventGenerator
{
    private const int Rank = 4;
    private readonly SyntheticEventOptions _options;

    public SyntheticEventGenerator(SyntheticEventOptions options)
    {
        _options = options;
    }

    /// <summary>The event lines, in event-time order.</summary>
    public IEnumerable<string> Lines() => LabelledLines().Select(l => l.Line);

    /// <summary>The event lines, each with whether it is a valid event (false for the deliberately bad ones).</summary>
    public IEnumerable<(string Line, bool Valid)> LabelledLines()
    {
        var rng = new Random(_options.Seed);
        var itemQuality = new double[_options.Items];
        var itemPrice = new double[_options.Items];
        var itemProfile = new double[_options.Items, Rank];
        var itemCumulative = Cumulative(_options.Items, 1.0);
        for (var i = 0; i < _options.Items; i++)
        {
            itemQuality[i] = Normal(rng) * 0.5;
            itemPrice[i] = Math.Round(Math.Exp(3 + Normal(rng)), 2);
            for (var r = 0; r < Rank; r++)
            {
                itemProfile[i, r] = Normal(rng) * 0.5;
            }
        }

        var userBias = new double[_options.Users];
        var userTaste = new double[_options.Users, Rank];
        var userCumulative = Cumulative(_options.Users, 0.6);
        for (var u = 0; u < _options.Users; u++)
        {
            userBias[u] = Normal(rng) * 0.4;
            for (var r = 0; r < Rank; r++)
            {
                userTaste[u, r] = Normal(rng) * 0.5;
            }
        }

        var ts = _options.StartMs;
        var line = new StringBuilder(160);
        for (var n = 0; n < _options.Events; n++)
        {
            ts += rng.Next(1, 2000);
            if (_options.BadFraction > 0 && rng.NextDouble() < _options.BadFraction)
            {
                yield return (BadLine(rng, ts), false);
                continue;
            }

            var u = Pick(rng, userCumulative);
            var i = Pick(rng, itemCumulative);
            var affinity = 0.0;
            for (var r = 0; r < Rank; r++)
            {
                affinity += userTaste[u, r] * itemProfile[i, r];
            }

            line.Clear();
            line.Append(CultureInfo.InvariantCulture, $"{{\"user\":\"u{u + 1}\",\"item\":\"i{i + 1}\",");
            var roll = rng.NextDouble();
            var appeal = userBias[u] + itemQuality[i] + affinity;
            if (roll < 0.25)
            {
                var rating = Math.Clamp(Math.Round(3.5 + appeal + Normal(rng) * 0.5), 1, 5);
                line.Append(CultureInfo.InvariantCulture, $"\"type\":\"rating\",\"value\":{rating:0.0},");
            }
            else
            {
                // Stronger engagement is likelier for items the user likes.
                var engagement = roll + 0.15 * appeal;
                var type = engagement < 0.70 ? "view" : engagement < 0.85 ? "click" : engagement < 0.94 ? "add_to_cart" : "purchase";
                line.Append(CultureInfo.InvariantCulture, $"\"type\":\"{type}\",");
            }

            line.Append(CultureInfo.InvariantCulture, $"\"ts\":{ts},\"features\":{{\"price\":{itemPrice[i]},\"hour\":{ts / 3_600_000 % 24}}}}}");
            yield return (line.ToString(), true);
        }
    }

    /// <summary>Writes the lines to a text writer, one per line.</summary>
    public void WriteTo(TextWriter writer)
    {
        foreach (var line in Lines())
        {
            writer.Write(line);
            writer.Write('\n');
        }
    }

    private static string BadLine(Random rng, long ts) => rng.Next(6) switch
    {
        0 => "{\"user\":\"u1\",\"item\":",
        1 => $"{{\"user\":\"u1\",\"type\":\"view\",\"ts\":{ts}}}",
        2 => $"{{\"user\":\"u1\",\"item\":\"i1\",\"type\":\"teleport\",\"ts\":{ts}}}",
        3 => $"{{\"user\":\"u1\",\"item\":\"i1\",\"type\":\"rating\",\"ts\":{ts}}}",
        4 => $"{{\"user\":\"u1\",\"item\":\"i1\",\"type\":\"view\",\"value\":NaN,\"ts\":{ts}}}",
        _ => $"{{\"user\":\"\",\"item\":\"i1\",\"type\":\"view\",\"ts\":{ts}}}",
    };

    private static double[] Cumulative(int n, double exponent)
    {
        var weights = new double[n];
        var total = 0.0;
        for (var k = 0; k < n; k++)
        {
            total += 1.0 / Math.Pow(k + 1, exponent);
            weights[k] = total;
        }

        for (var k = 0; k < n; k++)
        {
            weights[k] /= total;
        }

        return weights;
    }

    private static int Pick(Random rng, double[] cumulative)
    {
        var index = Array.BinarySearch(cumulative, rng.NextDouble());
        return Math.Min(index < 0 ? ~index : index, cumulative.Length - 1);
    }

    private static double Normal(Random rng)
    {
        // Box-Muller.
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
