<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

/** A public trade (`trades`), unique per (trading_pair_id, trade_id). */
class Trade extends Model
{
    protected $table = 'trades';

    protected $fillable = ['trading_pair_id', 'trade_id', 'price', 'quantity', 'side', 'traded_at'];

    protected $casts = ['traded_at' => 'immutable_datetime'];

    public function tradingPair(): BelongsTo
    {
        return $this->belongsTo(TradingPair::class);
    }

    /** Stores a `crypto.trade.created` event; a duplicate delivery finds the existing row. */
    public static function fromEvent(array $event): self
    {
        return static::firstOrCreate(
            ['trading_pair_id' => TradingPair::forEvent($event)->id, 'trade_id' => $event['trade_id']],
            [
                'price' => $event['price'], 'quantity' => $event['quantity'], 'side' => $event['side'],
                'traded_at' => $event['time'],
            ]
        );
    }
}
