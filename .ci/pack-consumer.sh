#!/usr/bin/env bash
# Packs BnnDsl and BnnDsl.Runtime, then builds and runs a throwaway project that references those local packages
# (and TorchSharp-cpu, as a user would) and nothing of this repository: it declares a small network with attributes,
# trains it for a few steps and predicts. Usage: .ci/pack-consumer.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
# A version of its own per run, so that the NuGet cache never serves an earlier pack of the same number; the cache's
# copies of it are removed with the work folder.
version="0.0.0-local.$(date +%s)"
cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
trap 'rm -rf "$work" "$cache/bnndsl/$version" "$cache/bnndsl.runtime/$version"' EXIT
dotnet pack "$root/BnnDsl.sln" -c Release -o "$work/packages" -p:Version="$version" --nologo -v quiet

mkdir -p "$work/consumer"
cat > "$work/consumer/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local" value="$work/packages" />
  </packageSources>
</configuration>
XML
cat > "$work/consumer/Consumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="BnnDsl.Runtime" Version="$version" />
    <PackageReference Include="TorchSharp-cpu" Version="0.107.0" />
  </ItemGroup>
</Project>
XML
cat > "$work/consumer/Program.cs" <<'CS'
using System;
using BnnDsl;
using TorchSharp;
using static TorchSharp.torch;

random.manual_seed(1);
var x = randn(256, 1, 6, 6);
var y = (x.sum(new long[] { 1, 2, 3 }) > 0).to(ScalarType.Int64);
using var data = new LabelledData(x.view(256, 36), y, "random");
using var model = new Net();
var epochs = Trainer.Fit(model, data, new FitOptions { Epochs = 5, BatchSize = 32, LearningRate = 0.01 });
using var predictive = model.Predict(data.Inputs, samples: 4);
var metrics = Metrics.Evaluate(predictive, data.Targets);
Console.WriteLine($"consumer: {model.Summary}; NLL {epochs[0].Nll:F3} -> {epochs[^1].Nll:F3}; train error {metrics.Error:P1}; kernels {CpuKernels.IsNative}");
return epochs[^1].Nll < epochs[0].Nll && metrics.Error < 0.3 ? 0 : 1;

[BayesianNetwork(Likelihood.Categorical, Input = new[] { 1, 6, 6 })]
[Prior(Normal, 0, 1)]
[Posterior(MeanField, LocalReparameterization = true)]
public partial class Net
{
    [Conv2d(1, 4, 3, ReLU)] private partial torch.Tensor Conv(torch.Tensor input);
    [Flatten] private partial torch.Tensor Flat(torch.Tensor input);
    [Dense(64, 2)] private partial torch.Tensor Output(torch.Tensor input);
}
CS
# The local packages first, then whatever sources this machine's NuGet configuration names (for TorchSharp-cpu).
dotnet run --project "$work/consumer" -c Release --nologo
