using RecoStream.Worker;

// Before RocksDB's threads allocate: they then share the arenas these settings allow.
NativeHeap.Apply();
return await WorkerCommand.RunAsync(args).ConfigureAwait(false);
