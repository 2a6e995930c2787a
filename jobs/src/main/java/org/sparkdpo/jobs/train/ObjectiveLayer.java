package org.sparkdpo.jobs.train;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffOutputLayer;
import org.deeplearning4j.nn.layers.AbstractLayer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.util.List;
import java.util.Map;

/**
 * The DL4J plumbing shared by every output layer that evaluates a whole objective itself (DPO on LoRA, SFT): the
 * parameter and gradient views DL4J hands it, labels, and the IOutputLayer methods that do not apply. Subclasses
 * implement backpropGradient, computeScore, activate and computeScoreForExamples with their objective.
 */
public abstract class ObjectiveLayer<C extends SameDiffOutputLayer> extends AbstractLayer<C> implements IOutputLayer, TrainingLayer {
    protected INDArray labels;
    protected INDArray params;
    protected INDArray gradientsView;
    protected Map<String, INDArray> paramTable;
    protected Map<String, INDArray> gradTable;

    protected ObjectiveLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public Layer clone() {
        throw new UnsupportedOperationException("not cloneable");
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public void clearNoiseWeightParams() {
    }

    @Override
    public INDArray params() {
        return params;
    }

    @Override
    public INDArray getParam(String param) {
        return paramTable.get(param);
    }

    @Override
    public long numParams() {
        return params == null ? 0 : params.length();
    }

    @Override
    public void setParam(String key, INDArray val) {
        INDArray current = paramTable.get(key);
        if (current == null) throw new IllegalArgumentException("unknown parameter " + key);
        current.assign(val);
    }

    @Override
    public void setParams(INDArray params) {
        if (params != null && params != this.params) this.params.assign(params);
    }

    @Override
    public void setParamsViewArray(INDArray params) {
        this.params = params;
    }

    @Override
    public INDArray getGradientsViewArray() {
        return gradientsView;
    }

    @Override
    public void setBackpropGradientsViewArray(INDArray gradients) {
        this.gradientsView = gradients;
        this.gradTable = layerConf().initializer().getGradientsFromFlattened(conf(), gradients);
    }

    @Override
    public void setParamTable(Map<String, INDArray> paramTable) {
        if (this.paramTable == null) {
            this.paramTable = paramTable;
        } else {
            paramTable.forEach(this::setParam);
        }
    }

    @Override
    public Map<String, INDArray> paramTable() {
        return paramTable;
    }

    @Override
    public Map<String, INDArray> paramTable(boolean backpropParamsOnly) {
        return paramTable;
    }

    @Override
    public boolean needsLabels() {
        return true;
    }

    @Override
    public void setLabels(INDArray labels) {
        this.labels = labels;
    }

    @Override
    public INDArray getLabels() {
        return labels;
    }

    @Override
    public double f1Score(DataSet data) {
        throw new UnsupportedOperationException();
    }

    @Override
    public double f1Score(INDArray examples, INDArray labels) {
        throw new UnsupportedOperationException();
    }

    @Override
    public int numLabels() {
        return 2;
    }

    @Override
    public void fit(DataSetIterator iter) {
        throw new UnsupportedOperationException("train through MultiLayerNetwork");
    }

    @Override
    public int[] predict(INDArray examples) {
        throw new UnsupportedOperationException();
    }

    @Override
    public List<String> predict(DataSet dataSet) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void fit(INDArray examples, INDArray labels) {
        throw new UnsupportedOperationException("train through MultiLayerNetwork");
    }

    @Override
    public void fit(DataSet data) {
        throw new UnsupportedOperationException("train through MultiLayerNetwork");
    }

    @Override
    public void fit(INDArray examples, int[] labels) {
        throw new UnsupportedOperationException("train through MultiLayerNetwork");
    }
}
