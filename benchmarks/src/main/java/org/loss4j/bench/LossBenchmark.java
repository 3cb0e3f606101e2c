package org.loss4j.bench;

import java.util.concurrent.TimeUnit;
import org.loss4j.DType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The loss benchmarks: {@code forward} and {@code forwardBackward} of one workload ({@link Workloads}) on one
 * implementation ({@code impl}: a loss4j backend or the libtorch peer), time per call. Subclasses choose the losses
 * and sizes. Scope.Thread, so the setup (and its thread settings) runs on the thread that measures.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector", "-Xss8m",
        "-Dorg.bytedeco.javacpp.nopointergc=true"})
public abstract class LossBenchmark {

    /** {@code java}, {@code onednn} (loss4j backends) or {@code torch} (libtorch through org.bytedeco:pytorch). */
    @Param({"java", "onednn", "torch"})
    public String impl;

    /** Most threads one call may use (see {@link ThreadKnobs}). */
    @Param({"1", "2"})
    public int threads;

    /** Floating dtype of the inputs: {@code f32} (or {@code f64}). */
    @Param({"f32"})
    public String dtype;

    /** {@code default} (mean; batchmean for KLDivLoss), or {@code mean}, {@code sum}, {@code none}. */
    @Param({"default"})
    public String reduction;

    private Impl run;

    protected abstract String loss();

    protected abstract String size();

    @Setup(Level.Trial)
    public void setUp() {
        run = Impls.create(impl, Workloads.get(loss(), size()), DType.parse(dtype), reduction, threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (run != null) run.close();
    }

    @Benchmark
    public Object forward() {
        return run.forward();
    }

    @Benchmark
    public Object forwardBackward() {
        return run.forwardBackward();
    }
}
