package org.sparkdpo.jobs.train;

import org.sparkdpo.model.TestWeights;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.sparkdpo.model.OracleCases;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.dpo.DpoLossType;
import org.sparkdpo.model.lora.LoraAdapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DL4J network around the DPO layer, trained in one JVM without Spark. */
class DpoNetworkTest {
    static TrainingModel.Spec spec(DataType dt) throws Exception {
        return spec(dt, 1);
    }

    static TrainingModel.Spec spec(DataType dt, int microBatches) throws Exception {
        LoraAdapter init = LoraAdapter.load(TestFixtures.tinyGpt2().resolve("adapter"),
                TestWeights.get(TestFixtures.tinyGpt2(), dt).model(), dt);
        return TrainingModel.Spec.of(TestFixtures.tinyGpt2().toString(), dt, init.config(),
                DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0), TestFixtures.tinyGpt2().resolve("adapter").toString(), 1, 1, microBatches);
    }

    @Test
    void numParamsIsTheLoraParameterCount() throws Exception {
        MultiLayerNetwork net = DpoNetworks.build(spec(DataType.FLOAT), OptimizerSettings.sgd(0.5), 1);
        long lora = 2 * (4 * 32 + 96 * 4) + 2 * (4 * 32 + 32 * 4) + 2 * (4 * 32 + 128 * 4) + 2 * (4 * 128 + 32 * 4);
        assertEquals(lora, net.numParams());
    }

    @Test
    void oneSgdStepMatchesOracle() throws Exception {
        for (DataType dt : new DataType[]{DataType.DOUBLE, DataType.FLOAT}) {
            MultiLayerNetwork net = DpoNetworks.build(spec(dt), OptimizerSettings.sgd(0.5), 1);
            DataSet ds = PairBatchCodec.encode(OracleCases.pairs(), dt);
            net.fit(ds);
            double tol = dt == DataType.DOUBLE ? 1e-10 : 1e-5;
            assertEquals(OracleCases.json().at("/grad_check/loss_value").asDouble(), net.score(), tol, "logged loss " + dt);
            double after = TrainingModel.of(spec(dt)).objective().run(OracleCases.pairs(), TestSupport.loraArrays(net), false, 0, 0).loss();
            assertEquals(OracleCases.json().at("/grad_check/loss_after_sgd").asDouble(), after, dt == DataType.DOUBLE ? 1e-9 : 1e-4, "after step " + dt);
        }
    }

    @Test
    void gradientAccumulationEqualsTheWholeBatch() throws Exception {
        for (int micro : new int[]{2, 3, 6}) {
            MultiLayerNetwork net = DpoNetworks.build(spec(DataType.DOUBLE, micro), OptimizerSettings.sgd(0.5), 1);
            net.fit(PairBatchCodec.encode(OracleCases.pairs(), DataType.DOUBLE));
            assertEquals(OracleCases.json().at("/grad_check/loss_value").asDouble(), net.score(), 1e-10, "micro-batches " + micro);
            double after = TrainingModel.of(spec(DataType.DOUBLE)).objective().run(OracleCases.pairs(), TestSupport.loraArrays(net), false, 0, 0).loss();
            assertEquals(OracleCases.json().at("/grad_check/loss_after_sgd").asDouble(), after, 1e-9, "micro-batches " + micro);
        }
    }

    @Test
    void gradientCheckpointingSurvivesTheConfigurationAndTrainsAlike() throws Exception {
        TrainingModel.Spec spec = spec(DataType.DOUBLE).withGradientCheckpointing(true);
        MultiLayerNetwork net = DpoNetworks.build(spec, OptimizerSettings.sgd(0.5), 1);
        String json = net.getLayerWiseConfigurations().toJson();
        DpoLoraLayerConf conf = (DpoLoraLayerConf) org.deeplearning4j.nn.conf.MultiLayerConfiguration.fromJson(json)
                .getConf(net.getnLayers() - 1).getLayer();
        assertTrue(conf.spec().gradientCheckpointing(), "the flag travels in the layer configuration");
        net.fit(PairBatchCodec.encode(OracleCases.pairs(), DataType.DOUBLE));
        assertEquals(OracleCases.json().at("/grad_check/loss_value").asDouble(), net.score(), 1e-10);
        double after = TrainingModel.of(spec).objective().run(OracleCases.pairs(), TestSupport.loraArrays(net), false, 0, 0).loss();
        assertEquals(OracleCases.json().at("/grad_check/loss_after_sgd").asDouble(), after, 1e-9);
    }
}
