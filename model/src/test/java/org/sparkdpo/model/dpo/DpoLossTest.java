package org.sparkdpo.model.dpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.OracleCases;
import org.sparkdpo.model.TestFixtures;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every loss type against the oracle (cases.json) and the independent torch golden file; batch metrics. */
class DpoLossTest {
    static final String[] KEYS = {"pc", "pr", "rc", "rr", "nc", "nr"};

    /** Oracle log-probs as [pc, pr, rc, rr, nc, nr] arrays over the six examples. */
    static double[][] oracleInputs() {
        JsonNode ex = OracleCases.examples();
        double[][] v = new double[6][ex.size()];
        for (int i = 0; i < ex.size(); i++) {
            JsonNode e = ex.get(i);
            v[0][i] = e.at("/policy/chosen/logp_sum").asDouble();
            v[1][i] = e.at("/policy/rejected/logp_sum").asDouble();
            v[2][i] = e.at("/reference/chosen/logp_sum").asDouble();
            v[3][i] = e.at("/reference/rejected/logp_sum").asDouble();
            v[4][i] = e.at("/policy/chosen/n_tokens").asDouble();
            v[5][i] = e.at("/policy/rejected/n_tokens").asDouble();
        }
        return v;
    }

    /** Runs DpoLoss on the given inputs in float64: [per-pair losses..., batch loss]. */
    static double[][] run(DpoConfig cfg, double[][] v) {
        SameDiff sd = SameDiff.create();
        Map<String, SDVariable> ph = new HashMap<>();
        Map<String, INDArray> vals = new HashMap<>();
        for (int k = 0; k < KEYS.length; k++) {
            ph.put(KEYS[k], sd.placeHolder(KEYS[k], DataType.DOUBLE, v[k].length));
            vals.put(KEYS[k], Nd4j.createFromArray(v[k]));
        }
        DpoLoss.Outputs out = DpoLoss.build(sd, cfg, new DpoLoss.Inputs(ph.get("pc"), ph.get("pr"), ph.get("rc"),
                ph.get("rr"), ph.get("nc"), ph.get("nr")));
        Map<String, INDArray> r = sd.output(vals, DpoLoss.PAIR_LOSSES, DpoLoss.LOSS);
        return new double[][]{r.get(DpoLoss.PAIR_LOSSES).toDoubleVector(), {r.get(DpoLoss.LOSS).getDouble(0)}};
    }

    @Test
    void oracleLossConfigsMatch() {
        double[][] v = oracleInputs();
        for (JsonNode c : OracleCases.json().get("loss_configs")) {
            DpoConfig cfg = DpoConfig.of(DpoLossType.parse(c.get("loss_type").asText()), c.get("beta").asDouble(),
                    c.get("label_smoothing").asDouble());
            double[][] got = run(cfg, v);
            double[] want = OracleCases.doubles(c.get("per_example"));
            for (int i = 0; i < want.length; i++) {
                assertTrue(OracleCases.closeRel(got[0][i], want[i], 1e-8), c.get("name") + " example " + i + ": " + got[0][i] + " vs " + want[i]);
            }
            assertTrue(OracleCases.closeRel(got[1][0], c.get("mean").asDouble(), 1e-8), c.get("name") + " mean");
        }
    }

    @Test
    void perExampleOracleLossesMatch() {
        double[][] v = oracleInputs();
        JsonNode ex = OracleCases.examples();
        for (int i = 0; i < ex.size(); i++) {
            JsonNode losses = ex.get(i).at("/dpo/losses");
            for (var it = losses.fields(); it.hasNext(); ) {
                var e = it.next();
                String[] parts = e.getKey().split("_ls");
                double ls = parts.length > 1 ? Double.parseDouble(parts[1]) : 0.0;
                double[][] got = run(DpoConfig.of(DpoLossType.parse(parts[0]), 0.1, ls), v);
                assertTrue(OracleCases.closeRel(got[0][i], e.getValue().asDouble(), 1e-8), e.getKey() + " example " + i);
            }
        }
    }

    @Test
    void everyLossTypeMatchesTorchGolden() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(TestFixtures.repoRoot()
                .resolve("model/src/test/resources/golden/dpo_losses.json").toFile());
        double[][] v = oracleInputs();
        int checked = 0;
        for (JsonNode c : golden.get("configs")) {
            DpoConfig.LogpsMode mode = c.get("logps").asText().equals("mean") ? DpoConfig.LogpsMode.MEAN : DpoConfig.LogpsMode.SUM;
            DpoConfig cfg = new DpoConfig(List.of(new DpoConfig.Term(DpoLossType.parse(c.get("loss_type").asText()), 1.0)),
                    c.get("beta").asDouble(), c.get("label_smoothing").asDouble(), mode, DpoConfig.DEFAULT_DISCOPOP_TAU);
            double[][] got = run(cfg, v);
            double[] want = OracleCases.doubles(c.get("per_example"));
            String what = c.get("loss_type").asText() + " ls=" + c.get("label_smoothing") + " " + mode;
            for (int i = 0; i < want.length; i++) {
                assertTrue(OracleCases.closeRel(got[0][i], want[i], 1e-8), what + " example " + i + ": " + got[0][i] + " vs " + want[i]);
            }
            assertTrue(OracleCases.closeRel(got[1][0], c.get("mean").asDouble(), 1e-8), what + " mean");
            checked++;
        }
        assertEquals(golden.get("configs").size(), checked);
        assertTrue(checked >= 24, "golden file covers every type in both log-prob modes");
    }

    @Test
    void weightedCombinationMatchesGolden() throws Exception {
        JsonNode combo = new ObjectMapper().readTree(TestFixtures.repoRoot()
                .resolve("model/src/test/resources/golden/dpo_losses.json").toFile()).get("combination");
        List<String> types = new java.util.ArrayList<>();
        combo.get("loss_types").forEach(n -> types.add(n.asText()));
        List<Double> weights = new java.util.ArrayList<>();
        combo.get("loss_weights").forEach(n -> weights.add(n.asDouble()));
        DpoConfig cfg = new DpoConfig(DpoConfig.terms(types, weights), combo.get("beta").asDouble(), 0.0,
                DpoConfig.LogpsMode.SUM, DpoConfig.DEFAULT_DISCOPOP_TAU);
        assertTrue(OracleCases.closeRel(run(cfg, oracleInputs())[1][0], combo.get("loss").asDouble(), 1e-8));
    }

    @Test
    void lossGradientsMatchCentralDifferences() {
        double[][] v = oracleInputs();
        for (DpoLossType type : DpoLossType.values()) {
            DpoConfig cfg = DpoConfig.of(type, 0.1, type == DpoLossType.SIGMOID || type == DpoLossType.ROBUST ? 0.1 : 0.0);
            SameDiff sd = SameDiff.create();
            SDVariable[] vars = new SDVariable[6];
            for (int k = 0; k < 6; k++) {
                vars[k] = k < 2 ? sd.var(KEYS[k], Nd4j.createFromArray(v[k].clone())) : sd.constant(KEYS[k], Nd4j.createFromArray(v[k]));
            }
            DpoLoss.Outputs out = DpoLoss.build(sd, cfg, new DpoLoss.Inputs(vars[0], vars[1], vars[2], vars[3], vars[4], vars[5]));
            sd.setLossVariables(out.loss());
            Map<String, INDArray> g = sd.calculateGradients(Map.of(), "pc", "pr");
            for (int k = 0; k < 2; k++) {
                for (int i = 0; i < v[k].length; i++) {
                    double h = 1e-5;
                    double[][] plus = copy(v), minus = copy(v);
                    plus[k][i] += h;
                    minus[k][i] -= h;
                    double numeric = (run(cfg, plus)[1][0] - run(cfg, minus)[1][0]) / (2 * h);
                    double analytic = g.get(KEYS[k]).getDouble(i);
                    assertEquals(numeric, analytic, 1e-6 * Math.max(1, Math.abs(numeric)), type + " d/d" + KEYS[k] + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void batchMetricsMatchOracle() {
        double[][] v = oracleInputs();
        int b = v[0].length;
        double[][] logits = new double[2][b];
        int[][] counts = new int[2][b];
        for (int i = 0; i < b; i++) {
            counts[0][i] = (int) v[4][i];
            counts[1][i] = (int) v[5][i];
        }
        double loss = run(DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0), v)[1][0];
        DpoStats s = DpoStats.of(loss, 0.1, new double[][]{v[0], v[1]}, new double[][]{v[2], v[3]}, logits, counts, 50257);
        // split in two halves and merged: statistics are additive
        DpoStats a = DpoStats.of(loss, 0.1, new double[][]{slice(v[0], 0, 3), slice(v[1], 0, 3)},
                new double[][]{slice(v[2], 0, 3), slice(v[3], 0, 3)}, new double[2][3], new int[][]{slice(counts[0], 0, 3), slice(counts[1], 0, 3)}, 50257);
        DpoStats bb = DpoStats.of(loss, 0.1, new double[][]{slice(v[0], 3, 6), slice(v[1], 3, 6)},
                new double[][]{slice(v[2], 3, 6), slice(v[3], 3, 6)}, new double[2][3], new int[][]{slice(counts[0], 3, 6), slice(counts[1], 3, 6)}, 50257);
        JsonNode want = OracleCases.json().get("batch_metrics");
        for (DpoStats stats : List.of(s, a.merge(bb))) {
            Map<String, Double> m = stats.metrics("");
            for (String key : List.of("rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected")) {
                assertTrue(OracleCases.closeRel(m.get(key), want.get(key).asDouble(), 1e-10), key + ": " + m.get(key) + " vs " + want.get(key));
            }
            assertTrue(OracleCases.closeRel(m.get("loss"), 0.8074022212008157, 1e-10));
            assertTrue(stats.metrics("eval_").containsKey("eval_rewards/margins"));
        }
    }

    @Test
    void unknownLossTypeNamesTheSupportedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DpoLossType.parse("aot"));
        assertTrue(e.getMessage().contains("aot") && e.getMessage().contains("sigmoid_norm"), e.getMessage());
    }

    static double[][] copy(double[][] v) {
        double[][] c = new double[v.length][];
        for (int i = 0; i < v.length; i++) c[i] = v[i].clone();
        return c;
    }

    static double[] slice(double[] v, int from, int to) {
        return java.util.Arrays.copyOfRange(v, from, to);
    }

    static int[] slice(int[] v, int from, int to) {
        return java.util.Arrays.copyOfRange(v, from, to);
    }
}
