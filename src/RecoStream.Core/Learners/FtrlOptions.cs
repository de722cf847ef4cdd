namespace RecoStream.Core.Learners;

/// <summary>
/// Settings of the FTRL-Proximal logistic regression learner (configuration <c>RecoStream:Learners:NAME</c> with
/// <c>Kind: Ftrl</c>), for click-type events. Defaults follow McMahan et al. (KDD 2013).
/// </summary>
public sealed class FtrlOptions
{
    /// <summary>The table has 2^HashBits coordinates (each with z and n). Default 20.</summary>
    public int HashBits { get; set; } = 20;

    /// <summary>Per-coordinate learning-rate scale alpha. Default 0.1.</summary>
    public double Alpha { get; set; } = 0.1;

    /// <summary>Per-coordinate learning-rate offset beta. Default 1.</summary>
    public double Beta { get; set; } = 1.0;

    /// <summary>L1 regularization (sparsity). Default 1.</summary>
    public double L1 { get; set; } = 1.0;

    /// <summary>L2 regularization. Default 1.</summary>
    public double L2 { get; set; } = 1.0;

    /// <summary>Event types that are positive examples (comma-separated wire names). Default <c>click,add_to_cart,purchase</c>.</summary>
    public string PositiveTypes { get; set; } = "click,add_to_cart,purchase";

    /// <summary>Event types that are negative examples. Default <c>view</c> (shown or viewed, not clicked).</summary>
    public string NegativeTypes { get; set; } = "view";
}
