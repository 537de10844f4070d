<?php
/**
 * cryptod → Laravel: a RabbitMQ consumer for the events of docs/events.md, using php-amqplib.
 *
 * Declares a durable queue bound to `crypto.#` on the cryptod exchange, decodes every event type, checks its
 * fields (decimals are strings of digits, times come as RFC 3339 and epoch milliseconds that agree, ids are
 * present) and prints one JSON line per message. In an application this is where the Eloquent models of
 * app/Models would be saved, idempotently by event_id (see handle() below).
 *
 *   php consumer.php [--url amqp://guest:guest@127.0.0.1:5672/%2f] [--exchange crypto.events]
 *                    [--queue laravel.crypto] [--expect N] [--timeout SECONDS] [--delete-queue]
 *
 * --expect N: exit after N messages (0: run forever); --timeout: give up when nothing arrives for that long.
 * Exit status: 0 all messages valid, 1 a message failed validation, 2 timeout before N messages, 3 usage.
 * Needs php-cli and php-amqplib (Debian: apt-get install php-cli php-amqplib; in Laravel: composer require
 * php-amqplib/php-amqplib).
 */

declare(strict_types=1);

$autoloads = [__DIR__ . '/vendor/autoload.php', '/usr/share/php/PhpAmqpLib/autoload.php'];
foreach ($autoloads as $autoload) {
    if (is_file($autoload)) {
        require_once $autoload;
        break;
    }
}

use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Exception\AMQPTimeoutException;
use PhpAmqpLib\Message\AMQPMessage;

$options = getopt('', ['url:', 'exchange:', 'queue:', 'expect:', 'timeout:', 'delete-queue']);
$url = parse_url($options['url'] ?? 'amqp://guest:guest@127.0.0.1:5672/%2f');
if ($url === false || !isset($url['host'])) {
    fwrite(STDERR, "consumer: bad --url\n");
    exit(3);
}
$exchange = $options['exchange'] ?? 'crypto.events';
$queue = $options['queue'] ?? 'laravel.crypto';
$expect = (int)($options['expect'] ?? 0);
$timeout = (float)($options['timeout'] ?? 30);
$vhost = isset($url['path']) && $url['path'] !== '/' && $url['path'] !== '' ? rawurldecode(substr($url['path'], 1)) : '/';

/** A decimal as cryptod sends it: a string of digits, never a JSON number. */
function decimal(array $event, string $key, bool $nullable = false): ?string
{
    if (!array_key_exists($key, $event)) {
        throw new UnexpectedValueException("missing $key");
    }
    $value = $event[$key];
    if ($value === null && $nullable) {
        return null;
    }
    if (!is_string($value) || !preg_match('/^-?\d+(\.\d+)?$/', $value)) {
        throw new UnexpectedValueException("$key is not a decimal string: " . json_encode($value));
    }
    return $value;
}

/** A time as both RFC 3339 text and epoch milliseconds; returns the milliseconds after checking they agree. */
function timestamp(array $event, string $key, bool $nullable = false): ?int
{
    $text = $event[$key] ?? null;
    $ms = $event[$key . '_ms'] ?? null;
    if ($text === null && $ms === null && $nullable) {
        return null;
    }
    if (!is_string($text) || !is_int($ms)) {
        throw new UnexpectedValueException("$key / {$key}_ms missing");
    }
    if (!preg_match('/^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/', $text, $parts)) {
        throw new UnexpectedValueException("$key is not RFC 3339 UTC: $text");
    }
    $seconds = (new DateTimeImmutable($parts[1], new DateTimeZone('UTC')))->getTimestamp();
    $fromText = $seconds * 1000 + intdiv((int)str_pad($parts[2] ?? '', 9, '0'), 1000000);
    if ($fromText !== $ms) {
        throw new UnexpectedValueException("$key ($text) and {$key}_ms ($ms) disagree");
    }
    return $ms;
}

function required(array $event, string ...$keys): void
{
    foreach ($keys as $key) {
        if (!array_key_exists($key, $event)) {
            throw new UnexpectedValueException("missing $key");
        }
    }
}

/** Checks one event and returns a summary; an application would save it here (upsert by natural key). */
function handle(string $routingKey, array $event): array
{
    required($event, 'event_id', 'event_type', 'schema_version', 'exchange');
    if ($event['event_type'] !== $routingKey) {
        throw new UnexpectedValueException("event_type {$event['event_type']} on routing key $routingKey");
    }
    switch ($routingKey) {
        case 'crypto.price.updated':
            // TickerSnapshot::create([... 'last' => $event['last'], 'captured_at' => $event['time'] ...])
            required($event, 'market', 'symbol', 'conflated');
            timestamp($event, 'time');
            timestamp($event, 'received_at');
            foreach (['last', 'last_quantity', 'bid', 'bid_quantity', 'ask', 'ask_quantity', 'open', 'high', 'low', 'volume', 'quote_volume', 'change_percent'] as $key) {
                decimal($event, $key, true);
            }
            return ['symbol' => $event['symbol'], 'last' => $event['last'], 'conflated' => $event['conflated']];
        case 'crypto.orderbook.updated':
            required($event, 'market', 'symbol', 'update_id', 'depth', 'bids', 'asks', 'conflated');
            timestamp($event, 'time', true);
            timestamp($event, 'received_at');
            foreach (['bids', 'asks'] as $side) {
                foreach ($event[$side] as $level) {
                    decimal(['p' => $level[0]], 'p');
                    decimal(['q' => $level[1]], 'q');
                }
            }
            return ['symbol' => $event['symbol'], 'best_bid' => decimal($event, 'best_bid', true), 'best_ask' => decimal($event, 'best_ask', true), 'levels' => count($event['bids']) + count($event['asks'])];
        case 'crypto.kline.updated':
        case 'crypto.historical.updated':
            // HistoricalData::upsert([...], ['trading_pair_id', 'timeframe', 'open_time'], [...])
            required($event, 'market', 'symbol', 'interval', 'is_closed', 'trade_count');
            timestamp($event, 'open_time');
            timestamp($event, 'close_time');
            timestamp($event, 'received_at');
            foreach (['open', 'high', 'low', 'close', 'volume'] as $key) {
                decimal($event, $key);
            }
            decimal($event, 'quote_volume', true);
            return ['symbol' => $event['symbol'], 'interval' => $event['interval'], 'close' => $event['close'], 'is_closed' => $event['is_closed']];
        case 'crypto.trade.created':
            // Trade::firstOrCreate(['trading_pair_id' => $pair->id, 'trade_id' => $event['trade_id']], [...])
            required($event, 'market', 'symbol', 'trade_id', 'side');
            timestamp($event, 'time');
            timestamp($event, 'received_at');
            if (!in_array($event['side'], ['buy', 'sell', 'unknown'], true)) {
                throw new UnexpectedValueException("bad side {$event['side']}");
            }
            return ['symbol' => $event['symbol'], 'trade_id' => $event['trade_id'], 'price' => decimal($event, 'price'), 'quantity' => decimal($event, 'quantity')];
        case 'crypto.gap.opened':
        case 'crypto.gap.closed':
            required($event, 'market', 'symbol', 'channel', 'state', 'recovered', 'reason');
            timestamp($event, 'opened_at');
            timestamp($event, 'closed_at', $routingKey === 'crypto.gap.opened');
            return ['symbol' => $event['symbol'], 'channel' => $event['channel'], 'state' => $event['state']];
        case 'crypto.source.status':
            required($event, 'market', 'symbol', 'state', 'reason');
            timestamp($event, 'time');
            return ['exchange' => $event['exchange'], 'state' => $event['state']];
        default:
            // Unknown routing keys are future event types: acknowledge and ignore them.
            return ['ignored' => true];
    }
}

$connection = new AMQPStreamConnection($url['host'], $url['port'] ?? 5672, rawurldecode($url['user'] ?? 'guest'), rawurldecode($url['pass'] ?? 'guest'), $vhost);
$channel = $connection->channel();
$channel->exchange_declare($exchange, 'topic', false, true, false);
$channel->queue_declare($queue, false, true, false, false);
$channel->queue_bind($queue, $exchange, 'crypto.#');
$channel->basic_qos(0, 100, false);

$received = 0;
$status = 0;
$seen = [];
$channel->basic_consume($queue, '', false, false, false, false, function (AMQPMessage $message) use (&$received, &$status, &$seen): void {
    $routingKey = $message->getRoutingKey();
    $properties = $message->get_properties();
    $line = ['routing_key' => $routingKey];
    try {
        $event = json_decode($message->getBody(), true, 64, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        if (($properties['delivery_mode'] ?? 0) !== 2) {
            throw new UnexpectedValueException('message is not persistent');
        }
        if (($properties['message_id'] ?? null) !== ($event['event_id'] ?? '')) {
            throw new UnexpectedValueException('message_id differs from event_id');
        }
        // Idempotency: a consumer stores event ids (a unique column) and skips the ones it has seen.
        $line['duplicate'] = isset($seen[$event['event_id']]);
        $seen[$event['event_id']] = true;
        $line['event_id'] = $event['event_id'];
        $line += handle($routingKey, $event);
        $line['ok'] = true;
    } catch (Throwable $error) {
        $line['ok'] = false;
        $line['error'] = $error->getMessage();
        $status = 1;
    }
    echo json_encode($line, JSON_UNESCAPED_SLASHES), "\n";
    $message->ack();
    $received++;
});

try {
    while ($channel->is_consuming() && ($expect === 0 || $received < $expect)) {
        $channel->wait(null, false, $timeout);
    }
} catch (AMQPTimeoutException $timeoutError) {
    fwrite(STDERR, "consumer: timeout after $received messages\n");
    $status = $status ?: 2;
}
if (isset($options['delete-queue'])) {
    $channel->queue_delete($queue);
}
$channel->close();
$connection->close();
exit($status);
