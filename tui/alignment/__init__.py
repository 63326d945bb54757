"""The domain core: conversation tree, marks, profiles, diary. No UI, no inference library."""
