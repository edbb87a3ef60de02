package dev.sotto.node;

/** For tests in other packages: nodes that fetch each other's prekeys without the network (see {@link TestNodes#connect}). */
public final class InProcessPrekeys {
  private InProcessPrekeys() {}

  public static void connect(Node... nodes) {
    TestNodes.connect(nodes);
  }
}
