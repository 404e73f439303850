/** Not API: JSON mapping and validation behind {@code io.covenant.saga}; may change at any time. */
package io.covenant.saga.internal;
