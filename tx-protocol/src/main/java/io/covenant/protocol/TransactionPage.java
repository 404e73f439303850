package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** One page of {@code GET /v1/transactions}; pass {@code nextCursor} as {@code cursor} for the next page. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TransactionPage(List<TransactionView> items, String nextCursor) {}
