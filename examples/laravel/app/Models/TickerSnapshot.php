<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

/** A ticker at one time (`ticker_snapshots`); every decimal column may be NULL when the exchange omits it. */
class TickerSnapshot extends Model
{
    protected $table = 'ticker_snapshots';

    protected $fillable = [
        'trading_pair_id', 'last', 'last_quantity', 'bid', 'bid_quantity', 'ask', 'ask_quantity', 'open', 'high',
        'low', 'volume', 'quote_volume', 'change_percent', 'captured_at',
    ];

    protected $casts = ['captured_at' => 'immutable_datetime'];

    public function tradingPair(): BelongsTo
    {
        return $this->belongsTo(TradingPair::class);
    }

    /** Stores a `crypto.price.updated` event (conflated: the latest state of its interval). */
    public static function fromEvent(array $event): self
    {
        $columns = ['last', 'last_quantity', 'bid', 'bid_quantity', 'ask', 'ask_quantity', 'open', 'high', 'low',
            'volume', 'quote_volume', 'change_percent'];
        $values = array_intersect_key($event, array_flip($columns));
        return static::firstOrCreate(
            ['trading_pair_id' => TradingPair::forEvent($event)->id, 'captured_at' => $event['time']],
            $values
        );
    }
}
