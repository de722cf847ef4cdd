namespace RecoStream.Core.Events;

/// <summary>The public MovieLens rating file layouts.</summary>
public enum MovieLensLayout
{
    /// <summary><c>u.data</c> (100K): <c>user TAB item TAB rating TAB unix-seconds</c>.</summary>
    Tab,
    /// <summary><c>ratings.dat</c> (1M, 10M): <c>user::item::rating::unix-seconds</c>.</summary>
    DoubleColon,
    /// <summary><c>ratings.csv</c> (20M, 25M, latest): header <c>userId,movieId,rating,timestamp</c>, then comma-separated rows.</summary>
    Csv,
}
