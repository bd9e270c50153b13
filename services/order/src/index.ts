export { configSpec, loadOrderConfig, type OrderConfig } from "./config.js";
export { ORDER_ERROR_STATUS, OrderError, type OrderErrorCode } from "./errors.js";
export { orderMigrations } from "./migrations.js";
export { createOrderHandler, type OrderHandler } from "./orders/handler.js";
export { createSagaHandler, SAGA_TOPICS } from "./orders/saga.js";
export { BODY_LIMIT, orderService } from "./service.js";
