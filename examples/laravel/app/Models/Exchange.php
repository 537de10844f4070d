<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\HasMany;

/** A venue cryptod collects from (`exchanges`: binance, bybit, whitebit). */
class Exchange extends Model
{
    protected $table = 'exchanges';

    protected $fillable = ['name'];

    public function tradingPairs(): HasMany
    {
        return $this->hasMany(TradingPair::class);
    }

    /** The row for an event's `exchange` field. */
    public static function forEvent(array $event): self
    {
        return static::firstOrCreate(['name' => $event['exchange']]);
    }
}
