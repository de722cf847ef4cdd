using RecoStream.Worker;

return await WorkerCommand.RunAsync(args).ConfigureAwait(false);
