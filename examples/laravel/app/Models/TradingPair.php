<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;
use Illuminate\Database\Eloquent\Relations\HasMany;

/** One market: exchange, market type (`spot`, `linear`, `inverse`) and the exchange's symbol (`trading_pairs`). */
class TradingPair extends Model
{
    protected $table = 'trading_pairs';

    protected $fillable = ['exchange_id', 'market_type', 'symbol', 'base', 'quote', 'is_active'];

    protected $casts = ['is_active' => 'boolean'];

    public function exchange(): BelongsTo
    {
        return $this->belongsTo(Exchange::class);
    }

    public function candles(): HasMany
    {
        return $this->hasMany(HistoricalData::class);
    }

    public function trades(): HasMany
    {
        return $this->hasMany(Trade::class);
    }

    public function tickerSnapshots(): HasMany
    {
        return $this->hasMany(TickerSnapshot::class);
    }

    /** The pair of an event (`exchange`, `market`, `symbol`), created the first time it is seen. */
    public static function forEvent(array $event): self
    {
        return static::firstOrCreate([
            'exchange_id' => Exchange::forEvent($event)->id,
            'market_type' => $event['market'],
            'symbol' => $event['symbol'],
        ]);
    }
}
