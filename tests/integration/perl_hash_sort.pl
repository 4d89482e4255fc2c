# Workload (e) of the live sandbox's integration tests: perl building a big
# hash, sorting it and printing digests.  The output is a function of N only
# (keys are sorted before anything is printed, so perl's per-process hash
# seed does not matter).  usage: perl perl_hash_sort.pl [N]
#
# Under a budget of ~15% of the peak: building is mostly sequential, the
# sorts compare values that were allocated together (the key list, the
# numbers), and the random phases are bounded: one lookup per key in sorted
# order, one pass over the values in hash order.  A sort whose comparator
# looks values up in the hash would fault on nearly every comparison.
use strict;
use warnings;
use Digest::MD5;

my $n = shift // 250000;
my %h;
for my $i (1 .. $n) {
	my $x = ($i * 2654435761) % 4294967291;
	$h{sprintf("k%08x-%d", $x, $i % 101)} = [$x, $i, "v" x ($i % 13)];
}
print "keys ", scalar(keys %h), "\n";

my @keys = sort keys %h;
my $md5 = Digest::MD5->new;
my $sum = 0;
for my $k (@keys) {
	my $v = $h{$k};
	$md5->add("$k=$v->[0],$v->[1],$v->[2]\n");
	$sum = ($sum + $v->[0] * ($v->[1] % 7)) % 4294967291;
}
print "by key ", $md5->hexdigest, " $sum first $keys[0] last $keys[-1]\n";

my @values = sort { $a <=> $b } map { $_->[0] } values %h;
$md5 = Digest::MD5->new;
$md5->add(join(",", @values[map { $_ * 97 } 0 .. int($#values / 97)]));
print "by value ", $md5->hexdigest, " min $values[0] max $values[-1]\n";

delete @h{grep { /-1\d$/ } @keys};
my $left = 0;
$left += length($_) for keys %h;
print "after delete ", scalar(keys %h), " $left\n";
