"""The paper's baselines (DeePromoter, PromID-style ResNet, SpliceFinder, DeepBind-style CNN),
trained with the shared loop on the same splits as DNABERT; promscan TSS scoring; SpliceFinder's
hard-negative reconstruction."""
