// What `npx tributary crud backfill product` loads: the compiled shop's DataSource, its event store and the
// subscriber's mapping (one source of truth for both: src/tributary.ts and src/product-events.ts).
const { dataSource } = require('./dist/data-source');
const { store } = require('./dist/tributary');
const { productEvents } = require('./dist/product-events');

module.exports = { dataSource, store, entities: [productEvents] };
