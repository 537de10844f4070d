<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

/**
 * A candle (`historical_data`), unique per (trading_pair_id, timeframe, open_time). Prices stay strings
 * (`decimal:` casts would go through floats in some drivers; PostgreSQL numeric round-trips as text).
 */
class HistoricalData extends Model
{
    protected $table = 'historical_data';

    protected $fillable = [
        'trading_pair_id', 'timeframe', 'open_time', 'open', 'high', 'low', 'close', 'volume', 'quote_volume',
        'trade_count', 'is_closed', 'revisions',
    ];

    protected $casts = [
        'open_time' => 'immutable_datetime',
        'trade_count' => 'integer',
        'is_closed' => 'boolean',
        'revisions' => 'integer',
    ];

    public function tradingPair(): BelongsTo
    {
        return $this->belongsTo(TradingPair::class);
    }

    /** Stores a `crypto.kline.updated` / `crypto.historical.updated` event; replays update the same row. */
    public static function fromEvent(array $event): self
    {
        return static::updateOrCreate(
            [
                'trading_pair_id' => TradingPair::forEvent($event)->id,
                'timeframe' => $event['interval'],
                'open_time' => $event['open_time'],
            ],
            [
                'open' => $event['open'], 'high' => $event['high'], 'low' => $event['low'], 'close' => $event['close'],
                'volume' => $event['volume'], 'quote_volume' => $event['quote_volume'],
                'trade_count' => $event['trade_count'], 'is_closed' => $event['is_closed'],
            ]
        );
    }
}
