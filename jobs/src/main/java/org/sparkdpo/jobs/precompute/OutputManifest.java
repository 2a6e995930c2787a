package org.sparkdpo.jobs.precompute;

import org.sparkdpo.data.DatasetManifest;
import org.sparkdpo.data.PairColumns;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkdpo.model.json.PythonJson;

/**
 * The output's {@code manifest.json} (kind "reference_logps"), the trainer's entry point. It holds no timestamps
 * or timings, so an interrupted-and-resumed run writes the same manifest as an uninterrupted one with the same
 * settings.
 */
final class OutputManifest {
    static final String KIND = DatasetManifest.REFERENCE;
    static final int FORMAT_VERSION = DatasetManifest.FORMAT_VERSION;

    private OutputManifest() {}

    /** The manifest for {@code stats} (one per input shard, in input order). */
    static String json(DatasetManifest input, FingerprintInputs inputs, String modelDir, String adapterDir,
                       PrecomputeSettings opts, List<ShardStats> stats) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", KIND);
        m.put("format_version", FORMAT_VERSION);
        m.put("input", Map.of("path", input.dir().toString(), "fingerprint", input.fingerprint()));
        m.put("fingerprint_inputs", inputs.toMap());
        m.put("fingerprint", inputs.fingerprint());
        m.put("model_dir", modelDir);
        m.put("adapter_dir", adapterDir);
        m.put("tokenizer", input.tokenizer());
        m.put("columns", Map.of(
                PairColumns.REF_CHOSEN_LOGPS, "double",
                PairColumns.REF_REJECTED_LOGPS, "double",
                PairColumns.REF_CHOSEN_TOKENS, "int",
                PairColumns.REF_REJECTED_TOKENS, "int"));
        m.put("settings", Map.of("batch_tokens", opts.batchTokens(), "max_batch", opts.maxBatch(),
                "padding", "length buckets: powers of two and 1.5x midpoints from 8"));
        List<Object> shards = new ArrayList<>();
        long rows = 0;
        long tokens = 0;
        long padded = 0;
        long completion = 0;
        for (ShardStats s : stats) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("file", s.file());
            e.put("rows", s.rows());
            e.put("tokens", s.tokens());
            e.put("completion_tokens", s.completionTokens());
            e.put("padding_fraction", round(s.paddingFraction()));
            shards.add(e);
            rows += s.rows();
            tokens += s.tokens();
            padded += s.paddedTokens();
            completion += s.completionTokens();
        }
        m.put("shards", shards);
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("shards", stats.size());
        totals.put("rows", rows);
        totals.put("tokens", tokens);
        totals.put("completion_tokens", completion);
        totals.put("padded_tokens", padded);
        totals.put("padding_fraction", round(padded == 0 ? 0 : 1.0 - (double) tokens / padded));
        m.put("totals", totals);
        return PythonJson.write(m) + "\n";
    }

    /** Six decimals: a ratio for people, stable in text. */
    static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }
}
