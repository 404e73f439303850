package io.covenant.coordinator.store;

import io.covenant.coordinator.core.GlobalTx;
import java.util.List;

/** One page of a listing; {@code nextCursor} is null on the last page. */
public record TxPage(List<GlobalTx> items, String nextCursor) {}
