using RecoStream.Worker;

// Before RocksDB's threads allocate: they then share the arenas these settings allow.
NativeHeap.Apply();
var trace = GcTrace.FromEnvironment();
var exitCode = await WorkerCommand.RunAsync(args).ConfigureAwait(false);
trace?.Finish();
return exitCode;
