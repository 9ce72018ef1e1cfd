<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name></name>
    <message>
        <source>Critical</source>
        <translation>特别严重</translation>
    </message>
    <message>
        <source>High</source>
        <translation>严重</translation>
    </message>
    <message>
        <source>Medium</source>
        <translation>较重</translation>
    </message>
    <message>
        <source>Low</source>
        <translation>一般</translation>
    </message>
    <message>
        <source>Forecast</source>
        <translation>预警</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新告警</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>In progress</source>
        <translation>处置中</translation>
    </message>
    <message>
        <source>Cleared</source>
        <translation>已恢复</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <source>forecast: crossing expected</source>
        <translation>预警：预计将越限</translation>
    </message>
    <message>
        <source>forecast: crossing in {0:.0f} min ± {1:.0f}</source>
        <translation>预警：约 {0:.0f} 分钟后越限（±{1:.0f} 分钟）</translation>
    </message>
    <message>
        <source>forecast: crossing in {0:.0f} min</source>
        <translation>预警：约 {0:.0f} 分钟后越限</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>等级</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>District</source>
        <translation>区</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>告警内容</translation>
    </message>
</context>
<context>
    <name>AlarmBanner</name>
    <message>
        <source>No alarm waiting</source>
        <translation>暂无待确认告警</translation>
    </message>
</context>
<context>
    <name>AlarmCategory</name>
    <message>
        <source>General</source>
        <translation>综合</translation>
    </message>
    <message>
        <source>Flood</source>
        <translation>防汛</translation>
    </message>
    <message>
        <source>Environment</source>
        <translation>环境</translation>
    </message>
    <message>
        <source>Enforcement</source>
        <translation>执法</translation>
    </message>
    <message>
        <source>Patrol</source>
        <translation>巡逻</translation>
    </message>
    <message>
        <source>System</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Traffic</source>
        <translation>交通</translation>
    </message>
    <message>
        <source>Fire</source>
        <translation>消防</translation>
    </message>
</context>
<context>
    <name>AlarmLayer</name>
    <message>
        <source>Alarms</source>
        <translation>告警</translation>
    </message>
</context>
<context>
    <name>AlarmsPanel</name>
    <message>
        <source>Refused by the dispatch gateway: {0}</source>
        <extracomment>The incident type an alarm of a category becomes (&quot;To incident&quot;); others fall back below.</extracomment>
        <translation>调度网关拒绝：{0}</translation>
    </message>
    <message>
        <source>Alarms</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>All priorities</source>
        <translation>全部等级</translation>
    </message>
    <message>
        <source>All categories</source>
        <translation>全部类别</translation>
    </message>
    <message>
        <source>All districts</source>
        <translation>全部区</translation>
    </message>
    <message>
        <source>No alarm selected</source>
        <translation>未选中告警</translation>
    </message>
    <message>
        <source>Comment (saved with the next action)</source>
        <translation>备注（随下一步操作保存）</translation>
    </message>
    <message>
        <source>Acknowledge (A)</source>
        <translation>确认 (A)</translation>
    </message>
    <message>
        <source>Start work (W)</source>
        <translation>开始处置 (W)</translation>
    </message>
    <message>
        <source>Snooze 10 min (Z)</source>
        <translation>暂缓 10 分钟 (Z)</translation>
    </message>
    <message>
        <source>Close (X)</source>
        <translation>关闭 (X)</translation>
    </message>
    <message>
        <source>To incident (I)</source>
        <translation>转为事件 (I)</translation>
    </message>
    <message>
        <source>Cameras (C)</source>
        <translation>周边摄像头 (C)</translation>
    </message>
    <message>
        <source>Fly there (F)</source>
        <translation>飞行定位 (F)</translation>
    </message>
    <message>
        <source>What if? (Q)</source>
        <translation>推演 (Q)</translation>
    </message>
    <message>
        <source>{0} open · {1} waiting</source>
        <translation>{0} 条未关闭 · {1} 条待确认</translation>
    </message>
    <message>
        <source>acknowledged by {0}</source>
        <translation>确认人：{0}</translation>
    </message>
    <message>
        <source>owner: {0}</source>
        <translation>处置人：{0}</translation>
    </message>
    <message>
        <source>raised {0} ago</source>
        <translation>{0}前发出</translation>
    </message>
    <message>
        <source>escalated to {0}</source>
        <translation>已升级至 {0}</translation>
    </message>
    <message>
        <source>Procedure:</source>
        <translation>处置规程：</translation>
    </message>
    <message>
        <source>Alarm rules not loaded</source>
        <translation>告警规则未加载</translation>
    </message>
    <message>
        <source>Critical</source>
        <translation>特别严重</translation>
    </message>
    <message>
        <source>High</source>
        <translation>严重</translation>
    </message>
    <message>
        <source>Medium</source>
        <translation>较重</translation>
    </message>
    <message>
        <source>Low</source>
        <translation>一般</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新告警</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>In progress</source>
        <translation>处置中</translation>
    </message>
    <message>
        <source>Cleared</source>
        <translation>已恢复</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <source>Forecast</source>
        <translation>预警</translation>
    </message>
    <message>
        <source>FORECAST</source>
        <translation>预警</translation>
    </message>
    <message>
        <source>forecast: crossing expected</source>
        <translation>预警：预计将越限</translation>
    </message>
    <message>
        <source>forecast: crossing in {0:.0f} min ± {1:.0f}</source>
        <translation>预警：约 {0:.0f} 分钟后越限（±{1:.0f} 分钟）</translation>
    </message>
    <message>
        <source>forecast: crossing in {0:.0f} min</source>
        <translation>预警：约 {0:.0f} 分钟后越限</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>等级</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>District</source>
        <translation>区</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>告警内容</translation>
    </message>
</context>
<context>
    <name>BriefFlood</name>
    <message>
        <source>Flood what-if: water at {0} m</source>
        <translation>洪水推演:水位 {0} 米</translation>
    </message>
    <message>
        <source>Nothing floods at this level.</source>
        <translation>该水位下无淹没。</translation>
    </message>
    <message>
        <source>Flooded area</source>
        <translation>淹没面积</translation>
    </message>
    <message>
        <source>{0} km²</source>
        <translation>{0} 平方公里</translation>
    </message>
    <message>
        <source>Buildings flooded</source>
        <translation>淹没建筑</translation>
    </message>
    <message>
        <source>Buildings wet</source>
        <translation>进水建筑</translation>
    </message>
    <message>
        <source>People affected</source>
        <translation>受影响人数</translation>
    </message>
    <message>
        <source>Roads cut</source>
        <translation>中断道路</translation>
    </message>
    <message>
        <source>{0} km</source>
        <translation>{0} 公里</translation>
    </message>
    <message>
        <source>Cameras in water</source>
        <translation>水中摄像头</translation>
    </message>
    <message>
        <source>Underground sites</source>
        <translation>地下设施</translation>
    </message>
    <message>
        <source>Totals</source>
        <translation>合计</translation>
    </message>
    <message>
        <source>Measure</source>
        <translation>指标</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>Area</source>
        <translation>区域</translation>
    </message>
    <message>
        <source>Flooded</source>
        <translation>淹没</translation>
    </message>
    <message>
        <source>Wet</source>
        <translation>进水</translation>
    </message>
    <message>
        <source>People</source>
        <translation>人数</translation>
    </message>
    <message>
        <source>Roads cut (km)</source>
        <translation>中断道路(公里)</translation>
    </message>
    <message>
        <source>No building is affected.</source>
        <translation>没有建筑受影响。</translation>
    </message>
    <message>
        <source>By district</source>
        <translation>按区</translation>
    </message>
    <message>
        <source>Grids with the most people affected (first {0} of {1})</source>
        <translation>受影响人数最多的网格(共 {1} 个,列出前 {0} 个)</translation>
    </message>
</context>
<context>
    <name>BriefWriter</name>
    <message>
        <source>Today</source>
        <translation>今日</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>近24小时</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>近7天</translation>
    </message>
    <message>
        <source>{0} min</source>
        <translation>{0} 分钟</translation>
    </message>
    <message>
        <source>Feed recording: {0}</source>
        <translation>数据录制文件：{0}</translation>
    </message>
    <message>
        <source>Live feed: {0}</source>
        <translation>实时数据：{0}</translation>
    </message>
    <message>
        <source>Recorded history: {0}</source>
        <translation>历史记录：{0}</translation>
    </message>
    <message>
        <source>No live data: the feed was not reachable, figures below are empty.</source>
        <translation>无实时数据：数据源无法连接，以下数字为空。</translation>
    </message>
    <message>
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Still open</source>
        <translation>未办结</translation>
    </message>
    <message>
        <source>Median response</source>
        <translation>响应时长中位数</translation>
    </message>
    <message>
        <source>Median time to close</source>
        <translation>办结时长中位数</translation>
    </message>
    <message>
        <source>Units in service</source>
        <translation>在岗力量</translation>
    </message>
    <message>
        <source>City operations brief</source>
        <translation>城市运行简报</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>时段</translation>
    </message>
    <message>
        <source>Prepared</source>
        <translation>生成时间</translation>
    </message>
    <message>
        <source>Prepared by</source>
        <translation>生成人</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>数据来源</translation>
    </message>
    <message>
        <source>Open incidents on the map</source>
        <translation>未办结事件分布图</translation>
    </message>
    <message>
        <source>Vital signs</source>
        <translation>城市运行体征</translation>
    </message>
    <message>
        <source>Incidents by type</source>
        <translation>事件分类统计</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>Incidents by district</source>
        <translation>分区事件统计</translation>
    </message>
    <message>
        <source>Response statistics</source>
        <translation>处置时效统计</translation>
    </message>
    <message>
        <source>Measure</source>
        <translation>指标</translation>
    </message>
    <message>
        <source>Median</source>
        <translation>中位数</translation>
    </message>
    <message>
        <source>90th percentile</source>
        <translation>90% 分位</translation>
    </message>
    <message>
        <source>Raised → acknowledged</source>
        <translation>上报 → 受理</translation>
    </message>
    <message>
        <source>Raised → closed</source>
        <translation>上报 → 办结</translation>
    </message>
    <message>
        <source>Open incidents by priority</source>
        <translation>未办结事件（按紧急程度）</translation>
    </message>
    <message>
        <source>Open sensor alarms</source>
        <translation>传感器告警</translation>
    </message>
    <message>
        <source>Sensor</source>
        <translation>传感器</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>处置力量</translation>
    </message>
    <message>
        <source>In service</source>
        <translation>在岗</translation>
    </message>
    <message>
        <source>… and {0} more incidents.</source>
        <translation>……另有 {0} 起事件。</translation>
    </message>
    <message>
        <source>Incidents and their timelines</source>
        <translation>事件清单与处置时间线</translation>
    </message>
    <message>
        <source>Live feed of {0}</source>
        <translation>{0}实时数据</translation>
    </message>
    <message>
        <source>Pins: open incidents, coloured by severity ({0}).</source>
        <translation>图钉：未办结事件，颜色表示紧急程度（{0}）。</translation>
    </message>
    <message>
        <source>Vital sign</source>
        <translation>运行体征</translation>
    </message>
    <message>
        <source>Now</source>
        <translation>当前</translation>
    </message>
    <message>
        <source>Trend</source>
        <translation>趋势</translation>
    </message>
    <message>
        <source>Low</source>
        <translation>最低</translation>
    </message>
    <message>
        <source>High</source>
        <translation>最高</translation>
    </message>
    <message>
        <source>Mean</source>
        <translation>平均</translation>
    </message>
    <message>
        <source>No vital signs in this period.</source>
        <translation>本时段无运行体征数据。</translation>
    </message>
    <message>
        <source>Response</source>
        <translation>受理用时</translation>
    </message>
    <message>
        <source>To close</source>
        <translation>办结用时</translation>
    </message>
    <message>
        <source>No incidents in this period.</source>
        <translation>本时段无事件。</translation>
    </message>
    <message>
        <source>Outside the districts</source>
        <translation>辖区外</translation>
    </message>
    <message>
        <source>No sensor alarms.</source>
        <translation>无传感器告警。</translation>
    </message>
    <message>
        <source>Incident</source>
        <translation>事件编号</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>紧急程度</translation>
    </message>
    <message>
        <source>District</source>
        <translation>区</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Raised</source>
        <translation>上报时间</translation>
    </message>
</context>
<context>
    <name>BriefingPanel</name>
    <message>
        <source>Leader&apos;s summary</source>
        <translation>领导驾驶舱</translation>
    </message>
    <message>
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Still open</source>
        <translation>未办结</translation>
    </message>
    <message>
        <source>Median response</source>
        <translation>响应时长中位数</translation>
    </message>
    <message>
        <source>Median time to close</source>
        <translation>办结时长中位数</translation>
    </message>
    <message>
        <source>Units in service</source>
        <translation>在岗力量</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>District</source>
        <translation>区</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>紧急程度</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>未办结</translation>
    </message>
    <message>
        <source>Alarm priority</source>
        <translation>告警等级</translation>
    </message>
    <message>
        <source>Waiting for the live feed…</source>
        <translation>正在等待实时数据…</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>时段</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>今日</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>近24小时</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>近7天</translation>
    </message>
    <message>
        <source>Brief (PDF)…</source>
        <translation>生成简报（PDF）…</translation>
    </message>
    <message>
        <source>Write an A4 brief with the map, vital signs and incidents</source>
        <translation>生成包含态势图、运行体征和事件的 A4 简报</translation>
    </message>
    <message>
        <source>{0} {1} % this period</source>
        <translation>{0} 本时段 {1}%</translation>
    </message>
    <message>
        <source>Outside the districts</source>
        <translation>辖区外</translation>
    </message>
    <message>
        <source>Updated {0}</source>
        <translation>更新于 {0}</translation>
    </message>
    <message>
        <source>{0} min</source>
        <translation>{0} 分钟</translation>
    </message>
    <message>
        <source>Save brief</source>
        <translation>保存简报</translation>
    </message>
    <message>
        <source>PDF (*.pdf)</source>
        <translation>PDF 文件 (*.pdf)</translation>
    </message>
    <message>
        <source>Brief</source>
        <translation>简报</translation>
    </message>
    <message>
        <source>The brief could not be written: {0}</source>
        <translation>简报生成失败：{0}</translation>
    </message>
    <message>
        <source>Brief written to {0}</source>
        <translation>简报已保存至 {0}</translation>
    </message>
</context>
<context>
    <name>CameraLayer</name>
    <message>
        <source>Cameras</source>
        <translation>摄像头</translation>
    </message>
</context>
<context>
    <name>DispatchRouteLayer</name>
    <message>
        <source>Dispatch route</source>
        <translation>派单路线</translation>
    </message>
</context>
<context>
    <name>EntityKind</name>
    <message>
        <source>Bus</source>
        <translation>公交车</translation>
    </message>
    <message>
        <source>Muck truck</source>
        <translation>渣土车</translation>
    </message>
    <message>
        <source>Police</source>
        <translation>警车</translation>
    </message>
    <message>
        <source>City management</source>
        <translation>城管执法车</translation>
    </message>
    <message>
        <source>Taxi</source>
        <translation>出租车</translation>
    </message>
    <message>
        <source>Ambulance</source>
        <translation>救护车</translation>
    </message>
    <message>
        <source>Fire engine</source>
        <translation>消防车</translation>
    </message>
    <message>
        <source>Sanitation</source>
        <translation>环卫车</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>其他</translation>
    </message>
</context>
<context>
    <name>EntityStatus</name>
    <message>
        <source>Normal</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>Available</source>
        <translation>可调派</translation>
    </message>
    <message>
        <source>Dispatched</source>
        <translation>已派遣</translation>
    </message>
    <message>
        <source>En route</source>
        <translation>在途</translation>
    </message>
    <message>
        <source>On scene</source>
        <translation>已到场</translation>
    </message>
    <message>
        <source>Out of service</source>
        <translation>停用</translation>
    </message>
    <message>
        <source>Alarm</source>
        <translation>报警</translation>
    </message>
</context>
<context>
    <name>FeedStatusPanel</name>
    <message>
        <source>Messages/s</source>
        <translation>消息/秒</translation>
    </message>
    <message>
        <source>Received</source>
        <translation>已接收</translation>
    </message>
    <message>
        <source>Gaps</source>
        <translation>丢包</translation>
    </message>
    <message>
        <source>Duplicates</source>
        <translation>重复</translation>
    </message>
    <message>
        <source>Bad messages</source>
        <translation>异常消息</translation>
    </message>
    <message>
        <source>Publisher restarts</source>
        <translation>数据源重启</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>数据源</translation>
    </message>
    <message>
        <source>Last heard</source>
        <translation>最近接收</translation>
    </message>
    <message>
        <source>Gaps / dups</source>
        <translation>丢包 / 重复</translation>
    </message>
    <message>
        <source>Restarts</source>
        <translation>重启次数</translation>
    </message>
    <message>
        <source>Feed Status</source>
        <translation>数据接入状态</translation>
    </message>
    <message>
        <source>● Feed connected</source>
        <translation>● 数据已连接</translation>
    </message>
    <message>
        <source>● Feed silent</source>
        <translation>● 数据中断</translation>
    </message>
    <message>
        <source>● Waiting for the feed</source>
        <translation>● 等待数据接入</translation>
    </message>
    <message>
        <source>Feed thread died and was restarted {0}× (last: {1})</source>
        <translation>数据接入线程曾中断，已自动重启 {0} 次（最近原因：{1}）</translation>
    </message>
    <message>
        <source>● Feed broker down</source>
        <translation>● 数据接入代理不可用</translation>
    </message>
    <message>
        <source>Cannot use the feed broker: {0}</source>
        <translation>无法使用数据接入代理：{0}</translation>
    </message>
    <message>
        <source>Rejected: {0}</source>
        <translation>已拒收：{0}</translation>
    </message>
    <message>
        <source>No bad input</source>
        <translation>无异常输入</translation>
    </message>
    <message>
        <source>{0} s ago</source>
        <translation>{0} 秒前</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Rate</source>
        <translation>速率</translation>
    </message>
    <message>
        <source>live</source>
        <translation>在线</translation>
    </message>
    <message>
        <source>silent</source>
        <translation>静默</translation>
    </message>
    <message>
        <source>down</source>
        <translation>中断</translation>
    </message>
    <message>
        <source>{0}/s</source>
        <translation>{0}/秒</translation>
    </message>
</context>
<context>
    <name>FloodLayer</name>
    <message>
        <source>Flood water</source>
        <translation>洪水淹没</translation>
    </message>
    <message>
        <source>Flooded buildings</source>
        <translation>受淹建筑</translation>
    </message>
</context>
<context>
    <name>FloodPanel</name>
    <message>
        <source>Preparing the terrain…</source>
        <translation>正在准备地形…</translation>
    </message>
    <message>
        <source>Use flat ground</source>
        <translation>按平地估算</translation>
    </message>
    <message>
        <source>Ground flat at [flood] flat_ground_m; the water spreads from the water layer</source>
        <translation>地面按 [flood] flat_ground_m 视为平地；水从水系图层漫出</translation>
    </message>
    <message>
        <source>River level</source>
        <translation>河道水位</translation>
    </message>
    <message>
        <source>Set to the highest gauge reading</source>
        <translation>设为最高水位站读数</translation>
    </message>
    <message>
        <source>Flooded area (km²)</source>
        <translation>淹没面积(平方公里)</translation>
    </message>
    <message>
        <source>Buildings flooded</source>
        <translation>淹没建筑</translation>
    </message>
    <message>
        <source>Buildings wet</source>
        <translation>进水建筑</translation>
    </message>
    <message>
        <source>People affected</source>
        <translation>受影响人数</translation>
    </message>
    <message>
        <source>Roads cut (km)</source>
        <translation>中断道路(公里)</translation>
    </message>
    <message>
        <source>Cameras in water</source>
        <translation>水中摄像头</translation>
    </message>
    <message>
        <source>Units in water</source>
        <translation>水中力量</translation>
    </message>
    <message>
        <source>Underground sites</source>
        <translation>地下设施</translation>
    </message>
    <message>
        <source>Dispatch routes avoid cut roads</source>
        <translation>调度路线避开中断道路</translation>
    </message>
    <message>
        <source>Street / grid</source>
        <translation>街道 / 网格</translation>
    </message>
    <message>
        <source>Flooded</source>
        <translation>淹没</translation>
    </message>
    <message>
        <source>Wet</source>
        <translation>进水</translation>
    </message>
    <message>
        <source>People</source>
        <translation>人数</translation>
    </message>
    <message>
        <source>Cut road</source>
        <translation>断行道路</translation>
    </message>
    <message>
        <source>km</source>
        <translation>公里</translation>
    </message>
    <message>
        <source>Cameras around</source>
        <translation>周边摄像头</translation>
    </message>
    <message>
        <source>Export evacuation list…</source>
        <translation>导出转移名单…</translation>
    </message>
    <message>
        <source>Flood What-If</source>
        <translation>洪水推演</translation>
    </message>
    <message>
        <source>Drag the river level; the map shows the water.</source>
        <translation>拖动河道水位,地图显示淹没范围。</translation>
    </message>
    <message>
        <source>No terrain: the ground is taken as flat at {0:.2f} m outside the water layer, so the water stands at level − {0:.2f} m everywhere it reaches. Add [terrain] for real extents.</source>
        <translation>无地形：水系图层以外的地面按 {0:.2f} 米平地估算，水到之处水深均为水位 − {0:.2f} 米。添加 [terrain] 才能得到真实淹没范围。</translation>
    </message>
    <message>
        <source>the site has no [terrain], so it cannot tell which ground is low. Add a DEM or a CityJSON TINRelief under [terrain], or use flat ground.</source>
        <translation>未配置 [terrain]，无法判断哪里地势低。请在 [terrain] 下添加 DEM 或 CityJSON TINRelief，或按平地估算。</translation>
    </message>
    <message>
        <source>No what-if for this site: {0}</source>
        <translation>本站点无法推演:{0}</translation>
    </message>
    <message>
        <source>forecast</source>
        <translation>预测</translation>
    </message>
    <message>
        <source>now</source>
        <translation>当前</translation>
    </message>
    <message>
        <source>No river gauge on the feed yet</source>
        <translation>数据流中暂无河道水位站</translation>
    </message>
    <message>
        <source>Highest gauge: {0} at {1:.2f} m</source>
        <translation>最高水位站:{0},{1:.2f} 米</translation>
    </message>
    <message>
        <source>Forecast: {0} → {1:.2f} m</source>
        <translation>预测:{0} → {1:.2f} 米</translation>
    </message>
    <message>
        <source>{0:.2f} m</source>
        <translation>{0:.2f} 米</translation>
    </message>
    <message>
        <source>Nothing floods at {0:.2f} m.</source>
        <translation>水位 {0:.2f} 米时无淹没。</translation>
    </message>
    <message>
        <source>Water at {0:.2f} m.</source>
        <translation>水位 {0:.2f} 米。</translation>
    </message>
    <message>
        <source>(no street)</source>
        <translation>(无街道)</translation>
    </message>
    <message>
        <source>What if: {0}</source>
        <translation>推演:{0}</translation>
    </message>
    <message>
        <source>{0} · {1:.2f} m</source>
        <translation>{0} · {1:.2f} 米</translation>
    </message>
    <message>
        <source>Cameras around {0}</source>
        <translation>{0} 周边摄像头</translation>
    </message>
    <message>
        <source>Export evacuation list</source>
        <translation>导出转移名单</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Saved {0} buildings to {1}</source>
        <translation>已将 {0} 栋建筑保存到 {1}</translation>
    </message>
</context>
<context>
    <name>IncidentStatus</name>
    <message>
        <source>New</source>
        <translation>新上报</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>已受理</translation>
    </message>
    <message>
        <source>Dispatched</source>
        <translation>已派单</translation>
    </message>
    <message>
        <source>On scene</source>
        <translation>已到场</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>已办结</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>已结案</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>已撤销</translation>
    </message>
</context>
<context>
    <name>IncidentTables</name>
    <message>
        <source>{0} (source silent)</source>
        <translation>{0}（数据源已中断）</translation>
    </message>
    <message>
        <source>Sev</source>
        <translation>等级</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>时长</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>District</source>
        <translation>区</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Id</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>力量</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Incident</source>
        <translation>事件</translation>
    </message>
</context>
<context>
    <name>IncidentType</name>
    <message>
        <source>Garbage piled up</source>
        <translation>垃圾堆积</translation>
    </message>
    <message>
        <source>Street vending</source>
        <translation>占道经营</translation>
    </message>
    <message>
        <source>Illegal parking</source>
        <translation>违章停车</translation>
    </message>
    <message>
        <source>Road damage</source>
        <translation>道路破损</translation>
    </message>
    <message>
        <source>Manhole cover missing</source>
        <translation>井盖缺失</translation>
    </message>
    <message>
        <source>Illegal construction</source>
        <translation>违法建设</translation>
    </message>
    <message>
        <source>Waterlogging</source>
        <translation>道路积水</translation>
    </message>
    <message>
        <source>Fallen tree</source>
        <translation>树木倒伏</translation>
    </message>
</context>
<context>
    <name>IncidentsPanel</name>
    <message>
        <source>Incidents and dispatch</source>
        <extracomment>An order&apos;s state in the strip (refused ones the operator retried or dropped included).</extracomment>
        <translation>事件与派单</translation>
    </message>
    <message>
        <source>Most severe first</source>
        <translation>最紧急优先</translation>
    </message>
    <message>
        <source>Oldest first</source>
        <translation>最早优先</translation>
    </message>
    <message>
        <source>All districts</source>
        <translation>全部区</translation>
    </message>
    <message>
        <source>All types</source>
        <translation>全部类型</translation>
    </message>
    <message>
        <source>No incident selected</source>
        <translation>未选中事件</translation>
    </message>
    <message>
        <source>Dispatch nearest (D)</source>
        <translation>派最近力量 (D)</translation>
    </message>
    <message>
        <source>Acknowledge (A)</source>
        <translation>受理 (A)</translation>
    </message>
    <message>
        <source>Cameras around (C)</source>
        <translation>周边摄像头 (C)</translation>
    </message>
    <message>
        <source>En route (E)</source>
        <translation>在途 (E)</translation>
    </message>
    <message>
        <source>On scene (S)</source>
        <translation>到场 (S)</translation>
    </message>
    <message>
        <source>Resolve (R)</source>
        <translation>处置完成 (R)</translation>
    </message>
    <message>
        <source>Close (X)</source>
        <translation>结案 (X)</translation>
    </message>
    <message>
        <source>Comment (Enter to add; a reason is needed to cancel)</source>
        <translation>备注（回车添加；撤销事件须填写原因）</translation>
    </message>
    <message>
        <source>Cancel incident</source>
        <translation>撤销事件</translation>
    </message>
    <message>
        <source>Nearest suitable units (double-click to dispatch)</source>
        <translation>最近的可派力量（双击派单）</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>Nearest</source>
        <translation>最近力量</translation>
    </message>
    <message>
        <source>Units</source>
        <comment>tab: every unit and its status</comment>
        <translation>全部力量</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>时间线</translation>
    </message>
    <message>
        <source>Retry order</source>
        <translation>重新发送指令</translation>
    </message>
    <message>
        <source>Drop order</source>
        <translation>放弃指令</translation>
    </message>
    <message>
        <source>Refused orders: select one, then retry or drop it</source>
        <translation>被拒绝的指令：选中一条后重新发送或放弃</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>紧急程度</translation>
    </message>
    <message>
        <source>Raised</source>
        <translation>上报时间</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>(not routed yet)</source>
        <translation>（尚未分拨）</translation>
    </message>
    <message>
        <source>Department</source>
        <translation>责任部门</translation>
    </message>
    <message>
        <source>Location</source>
        <translation>地点</translation>
    </message>
    <message>
        <source>Units</source>
        <translation>处置力量</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>上报</translation>
    </message>
    <message>
        <source>Around {0}</source>
        <translation>{0} 周边</translation>
    </message>
    <message>
        <source>Orders: {0} pending</source>
        <translation>指令：{0} 条待发送</translation>
    </message>
    <message>
        <source>Gateway link: {0}</source>
        <translation>网关连接：{0}</translation>
    </message>
</context>
<context>
    <name>KpiPanel</name>
    <message>
        <source>City Vital Signs</source>
        <translation>城市运行体征</translation>
    </message>
</context>
<context>
    <name>LanguageMenu</name>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>As the site sets it</source>
        <translation>跟随站点设置</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>The new language applies the next time you start the app.</source>
        <translation>新语言将在下次启动应用时生效。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Loading city…</source>
        <extracomment>Docked panels in order: (panel id, dock area, tab with this panel id when both exist). Bottom docks side by side (the incident list beside the cameras it opens), not stacked. Share of the window each dock area starts with (the map keeps the rest).</extracomment>
        <translation>正在加载城市模型…</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>时间轴</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Panels</source>
        <translation>面板(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Input problems…</source>
        <translation>数据问题…</translation>
    </message>
    <message>
        <source>{0} buildings · {1} triangles</source>
        <translation>{0} 栋建筑 · {1} 个三角面</translation>
    </message>
    <message>
        <source>{0} tilesets streamed</source>
        <translation>流式加载 {0} 个瓦片集</translation>
    </message>
    <message>
        <source>{0} input problems repaired or skipped</source>
        <translation>{0} 处数据问题已修复或跳过</translation>
    </message>
    <message>
        <source>City not loaded</source>
        <translation>城市模型未加载</translation>
    </message>
    <message>
        <source>No problems were found in the input.</source>
        <translation>输入数据未发现问题。</translation>
    </message>
    <message>
        <source>Input problems</source>
        <translation>数据问题</translation>
    </message>
</context>
<context>
    <name>MapHover</name>
    <message>
        <source>just now</source>
        <translation>刚刚</translation>
    </message>
    <message>
        <source>{0:.0f} s ago</source>
        <translation>{0:.0f} 秒前</translation>
    </message>
    <message>
        <source>{0:.0f} min ago</source>
        <translation>{0:.0f} 分钟前</translation>
    </message>
    <message>
        <source>{id} · {kind} · {status}
{speed:.0f} km/h · heard {ago}</source>
        <translation>{id} · {kind} · {status}
{speed:.0f} 公里/小时 · 最近上报：{ago}</translation>
    </message>
    <message>
        <source>{id} · {type} · {severity}
{status} · raised {ago}</source>
        <translation>{id} · {type} · {severity}
{status} · {ago}发现</translation>
    </message>
    <message>
        <source>{id} · {kind}
{value} {unit} · {status} · {ago}</source>
        <translation>{id} · {kind}
{value} {unit} · {status} · {ago}</translation>
    </message>
    <message>
        <source>{0} cameras · click to zoom in</source>
        <translation>{0} 路摄像机 · 点击放大</translation>
    </message>
    <message>
        <source>{name}
{id} · click for live video</source>
        <translation>{name}
{id} · 点击查看实时视频</translation>
    </message>
    <message>
        <source>{name}
{id} · PTZ · click for live video</source>
        <translation>{name}
{id} · 云台 · 点击查看实时视频</translation>
    </message>
    <message>
        <source>{id} · {0} unit(s) assigned</source>
        <translation>{id} · 已派 {0} 个单位</translation>
    </message>
    <message>
        <source>{unit} → {incident}
{km:.1f} km by road</source>
        <translation>{unit} → {incident}
沿道路 {km:.1f} 公里</translation>
    </message>
    <message>
        <source>{unit} → {incident}
{km:.1f} km in a straight line</source>
        <translation>{unit} → {incident}
直线距离 {km:.1f} 公里</translation>
    </message>
    <message>
        <source>{priority} · {title}
{message}
{state} · {ago}</source>
        <translation>{priority} · {title}
{message}
{state} · {ago}</translation>
    </message>
    <message>
        <source>FORECAST · {priority} · {title}
{message}
{state} · {ago}</source>
        <translation>预测 · {priority} · {title}
{message}
{state} · {ago}</translation>
    </message>
    <message>
        <source>{id} · water {depth:.2f} m at the ground floor</source>
        <translation>{id} · 底层水深 {depth:.2f} 米</translation>
    </message>
</context>
<context>
    <name>MapPanel</name>
    <message>
        <source>(no value)</source>
        <translation>（无数值）</translation>
    </message>
    <message>
        <source>N</source>
        <comment>north arrow</comment>
        <translation>北</translation>
    </message>
    <message>
        <source>3D City Map</source>
        <translation>三维城市地图</translation>
    </message>
    <message>
        <source>Colour the buildings by an attribute</source>
        <translation>按属性为建筑着色</translation>
    </message>
    <message>
        <source>Fly to a named view of the site</source>
        <translation>飞到站点的预设视角</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>图层</translation>
    </message>
    <message>
        <source>Colour by</source>
        <translation>着色依据</translation>
    </message>
    <message>
        <source>View</source>
        <translation>视角</translation>
    </message>
    <message>
        <source>Could not load the city: {0}</source>
        <translation>无法加载城市模型：{0}</translation>
    </message>
    <message>
        <source>Vehicles and units</source>
        <translation>车辆与处置力量</translation>
    </message>
    <message>
        <source>Trails</source>
        <translation>轨迹</translation>
    </message>
    <message>
        <source>Density heatmap</source>
        <translation>密度热力图</translation>
    </message>
    <message>
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Sensors</source>
        <translation>传感器</translation>
    </message>
    <message>
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Sensor</source>
        <translation>传感器</translation>
    </message>
    <message>
        <source>On the map</source>
        <translation>图例</translation>
    </message>
    <message>
        <source>Height</source>
        <translation>高度</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>LoD</source>
        <translation>细节层次</translation>
    </message>
    <message>
        <source>Surface</source>
        <translation>表面</translation>
    </message>
    <message>
        <source>Overview</source>
        <translation>全景</translation>
    </message>
    <message>
        <source>Named views need the site&apos;s local frame</source>
        <translation>预设视角需要站点的本地坐标系</translation>
    </message>
    <message>
        <source>City boundary</source>
        <translation>市界</translation>
    </message>
    <message>
        <source>District boundaries</source>
        <translation>区界</translation>
    </message>
    <message>
        <source>Street boundaries</source>
        <translation>街道边界</translation>
    </message>
    <message>
        <source>Grid cells</source>
        <translation>网格</translation>
    </message>
    <message>
        <source>Boundaries: {0}</source>
        <translation>边界：{0}</translation>
    </message>
    <message>
        <source>Buildings</source>
        <translation>建筑</translation>
    </message>
    <message>
        <source>Roads</source>
        <translation>道路</translation>
    </message>
    <message>
        <source>Water</source>
        <translation>水系</translation>
    </message>
    <message>
        <source>Terrain</source>
        <translation>地形</translation>
    </message>
    <message>
        <source>Vegetation</source>
        <translation>植被</translation>
    </message>
    <message>
        <source>Land use</source>
        <translation>用地</translation>
    </message>
    <message>
        <source>Bridges</source>
        <translation>桥梁</translation>
    </message>
    <message>
        <source>Points of interest</source>
        <translation>兴趣点</translation>
    </message>
    <message>
        <source>Building {id}</source>
        <translation>建筑 {id}</translation>
    </message>
</context>
<context>
    <name>MapTiles</name>
    <message>
        <source>Tiles: {shown} shown, {loading} loading</source>
        <translation>瓦片：已显示 {shown} 个，加载中 {loading} 个</translation>
    </message>
    <message>
        <source>memory budget ({mb} MB) reached: showing coarser tiles</source>
        <translation>已达内存上限（{mb} MB）：显示较粗的瓦片</translation>
    </message>
    <message>
        <source>{n} tiles could not be read (see the log)</source>
        <translation>{n} 个瓦片无法读取（见日志）</translation>
    </message>
</context>
<context>
    <name>MapTools</name>
    <message>
        <source>Measure</source>
        <translation>测距</translation>
    </message>
    <message>
        <source>Measure a distance: click points on the map; Esc clears</source>
        <translation>测量距离：在地图上依次点击各点；按 Esc 清除</translation>
    </message>
</context>
<context>
    <name>Metric</name>
    <message>
        <source>Congestion index</source>
        <translation>交通拥堵指数</translation>
    </message>
    <message>
        <source>Air quality index</source>
        <translation>空气质量指数</translation>
    </message>
    <message>
        <source>Power load</source>
        <translation>电力负荷</translation>
    </message>
    <message>
        <source>Hotline calls</source>
        <translation>热线来电</translation>
    </message>
</context>
<context>
    <name>MetricUnit</name>
    <message>
        <source>MW</source>
        <translation>兆瓦</translation>
    </message>
    <message>
        <source>AQI</source>
        <translation>AQI</translation>
    </message>
    <message>
        <source>calls/h</source>
        <translation>次/小时</translation>
    </message>
</context>
<context>
    <name>ObjectInfoPanel</name>
    <message>
        <source>ID</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Height</source>
        <translation>高度</translation>
    </message>
    <message>
        <source>LoD</source>
        <translation>细节层次</translation>
    </message>
    <message>
        <source>Part of</source>
        <translation>所属</translation>
    </message>
    <message>
        <source>Attribute</source>
        <translation>属性</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>Selection</source>
        <translation>选中对象</translation>
    </message>
    <message>
        <source>Nothing selected</source>
        <translation>未选中对象</translation>
    </message>
    <message>
        <source>Click a building on the 3D map to see its details.</source>
        <translation>在三维地图上点击建筑查看详情。</translation>
    </message>
    <message>
        <source>(unnamed object)</source>
        <translation>（未命名对象）</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
</context>
<context>
    <name>OrderKind</name>
    <message>
        <source>Created</source>
        <translation>创建</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>受理</translation>
    </message>
    <message>
        <source>Assigned</source>
        <translation>派单</translation>
    </message>
    <message>
        <source>Unit status</source>
        <translation>单位状态</translation>
    </message>
    <message>
        <source>Comment</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>办结</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>结案</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Alarm</source>
        <translation>报警</translation>
    </message>
</context>
<context>
    <name>PanelIds</name>
    <message>
        <source>3D city map</source>
        <translation>三维城市地图</translation>
    </message>
    <message>
        <source>Selection details</source>
        <translation>选中对象详情</translation>
    </message>
    <message>
        <source>City vital signs</source>
        <translation>城市运行体征</translation>
    </message>
    <message>
        <source>Camera video grid</source>
        <translation>视频监控宫格</translation>
    </message>
    <message>
        <source>Incidents and dispatch</source>
        <translation>事件与派单</translation>
    </message>
    <message>
        <source>Alarm list</source>
        <translation>告警列表</translation>
    </message>
    <message>
        <source>Feed status</source>
        <translation>数据接入状态</translation>
    </message>
    <message>
        <source>Leader&apos;s summary</source>
        <translation>领导驾驶舱</translation>
    </message>
    <message>
        <source>Clock, site title, connection</source>
        <translation>时钟、站点名称、连接状态</translation>
    </message>
    <message>
        <source>Flood what-if</source>
        <translation>洪水推演</translation>
    </message>
</context>
<context>
    <name>PanelShort</name>
    <message>
        <source>Map</source>
        <translation>地图</translation>
    </message>
    <message>
        <source>Selection</source>
        <translation>选中</translation>
    </message>
    <message>
        <source>Vital signs</source>
        <translation>体征</translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation>视频</translation>
    </message>
    <message>
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Alarms</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>Feeds</source>
        <translation>接入</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>摘要</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>What-if</source>
        <translation>推演</translation>
    </message>
</context>
<context>
    <name>Refusal</name>
    <message>
        <source>user &apos;{user}&apos; has role leader (view only); orders need an operator or supervisor</source>
        <translation>用户“{user}”的角色是领导（只读）；下达指令需要值班员或值班长</translation>
    </message>
    <message>
        <source>closing an incident needs role supervisor; user &apos;{user}&apos; is an operator</source>
        <translation>结案需要值班长角色；用户“{user}”是值班员</translation>
    </message>
    <message>
        <source>taking a unit from another incident needs role supervisor; user &apos;{user}&apos; is an operator</source>
        <translation>从其他事件调走力量需要值班长角色；用户“{user}”是值班员</translation>
    </message>
    <message>
        <source>create needs an incident_id</source>
        <translation>新建事件需要事件编号</translation>
    </message>
    <message>
        <source>incident {incident} already exists (status {status})</source>
        <translation>事件 {incident} 已存在（状态：{status}）</translation>
    </message>
    <message>
        <source>incident type {type} is unknown; expected one of {expected}</source>
        <translation>未知的事件类型 {type}；应为以下之一：{expected}</translation>
    </message>
    <message>
        <source>severity {severity} is out of range; expected 1 (low) to 4 (critical)</source>
        <translation>等级 {severity} 超出范围；应为 1（低）到 4（特急）</translation>
    </message>
    <message>
        <source>location ({lon}, {lat}) is not a WGS 84 lon/lat: {problem}</source>
        <translation>位置 ({lon}, {lat}) 不是 WGS 84 经纬度：{problem}</translation>
    </message>
    <message>
        <source>raised_at {raised_at} is not a time (seconds since 1970, or 0 for now)</source>
        <translation>上报时间 {raised_at} 不是有效时间（自 1970 年起的秒数，0 表示现在）</translation>
    </message>
    <message>
        <source>text is {length} characters; the limit is {limit}</source>
        <translation>文字有 {length} 个字符；上限为 {limit}</translation>
    </message>
    <message>
        <source>no incident {incident}</source>
        <translation>没有事件 {incident}</translation>
    </message>
    <message>
        <source>a comment needs some text</source>
        <translation>备注不能为空</translation>
    </message>
    <message>
        <source>comment is {length} characters; the limit is {limit}</source>
        <translation>备注有 {length} 个字符；上限为 {limit}</translation>
    </message>
    <message>
        <source>incident {incident} is {status}; only a new incident can be acknowledged</source>
        <translation>事件 {incident} 为“{status}”；只有新上报的事件可以受理</translation>
    </message>
    <message>
        <source>incident {incident} is {status}; cannot resolve (acknowledge or dispatch it first)</source>
        <translation>事件 {incident} 为“{status}”；不能办结（请先受理或派单）</translation>
    </message>
    <message>
        <source>incident {incident} is {status}; cannot resolve (it is no longer open)</source>
        <translation>事件 {incident} 为“{status}”；不能办结（已不在处置中）</translation>
    </message>
    <message>
        <source>incident {incident} is {status}; only a resolved incident can be closed</source>
        <translation>事件 {incident} 为“{status}”；只有已办结的事件可以结案</translation>
    </message>
    <message>
        <source>incident {incident} is {status}; only an open incident can be cancelled</source>
        <translation>事件 {incident} 为“{status}”；只有处置中的事件可以撤销</translation>
    </message>
    <message>
        <source>cancelling needs a reason (text)</source>
        <translation>撤销需要填写理由</translation>
    </message>
    <message>
        <source>unknown command kind {kind}; expected one of {expected}</source>
        <translation>未知的指令类型 {kind}；应为以下之一：{expected}</translation>
    </message>
    <message>
        <source>incident {incident} is {status}; units go only to open incidents</source>
        <translation>事件 {incident} 为“{status}”；只能向处置中的事件派遣力量</translation>
    </message>
    <message>
        <source>no unit {unit}</source>
        <translation>没有力量 {unit}</translation>
    </message>
    <message>
        <source>unit {unit} is out of service</source>
        <translation>力量 {unit} 暂停服务</translation>
    </message>
    <message>
        <source>unit {unit} is already assigned to incident {incident}</source>
        <translation>力量 {unit} 已派往事件 {incident}</translation>
    </message>
    <message>
        <source>unit {unit} is already assigned to incident {holder} ({unit_status}); a supervisor can override</source>
        <translation>力量 {unit} 已派往事件 {holder}（{unit_status}）；值班长可以改派</translation>
    </message>
    <message>
        <source>unit status {status} is not one to report; expected one of {expected}</source>
        <translation>力量状态 {status} 不可上报；应为以下之一：{expected}</translation>
    </message>
    <message>
        <source>unit {unit} is assigned to incident {holder}; make it available first</source>
        <translation>力量 {unit} 正在处置事件 {holder}；请先将其设为可用</translation>
    </message>
    <message>
        <source>unit {unit} is not assigned to any incident; assign it first</source>
        <translation>力量 {unit} 未派往任何事件；请先派单</translation>
    </message>
    <message>
        <source>unit {unit} is assigned to incident {holder}, not {incident}</source>
        <translation>力量 {unit} 派往的是事件 {holder}，不是 {incident}</translation>
    </message>
    <message>
        <source>unit {unit} is already on scene</source>
        <translation>力量 {unit} 已到场</translation>
    </message>
</context>
<context>
    <name>PlaceholderPanel</name>
    <message>
        <source>Panel &apos;{0}&apos; is not available in this build.</source>
        <translation>此版本中没有面板“{0}”。</translation>
    </message>
    <message>
        <source>panel id: {0} · region: {1}</source>
        <translation>面板：{0} · 区域：{1}</translation>
    </message>
</context>
<context>
    <name>PushMenu</name>
    <message>
        <source>Push to &amp;wall</source>
        <translation>推送到大屏(&amp;W)</translation>
    </message>
    <message>
        <source>3D view → {0} / {1}</source>
        <translation>三维视角 → {0} / {1}</translation>
    </message>
</context>
<context>
    <name>ReplayClock</name>
    <message>
        <source>Replay: the clock shows the past, so actions that change the world are off. Press End for live.</source>
        <extracomment>Frames a second while playing (each a whole picture; the map draws at its own rate). How far back the bar reaches (seconds).</extracomment>
        <translation>回放：时钟显示的是过去，改变现场的操作已停用。按 End 键回到实时。</translation>
    </message>
    <message>
        <source>No history recorded at {0}</source>
        <extracomment>The clock jumped, started, stopped or went live (not each playing step): video re-seeks.</extracomment>
        <translation>{0} 没有历史记录</translation>
    </message>
</context>
<context>
    <name>SavedViewsMenu</name>
    <message>
        <source>&amp;Views</source>
        <translation>视角(&amp;V)</translation>
    </message>
    <message>
        <source>{0} (mine)</source>
        <translation>{0}（我的）</translation>
    </message>
    <message>
        <source>Save current view…</source>
        <translation>保存当前视角…</translation>
    </message>
    <message>
        <source>Delete my view</source>
        <translation>删除我的视角</translation>
    </message>
    <message>
        <source>Save view</source>
        <translation>保存视角</translation>
    </message>
    <message>
        <source>Name of this view:</source>
        <translation>视角名称：</translation>
    </message>
</context>
<context>
    <name>SearchBox</name>
    <message>
        <source>Search (Ctrl+F)</source>
        <translation>搜索 (Ctrl+F)</translation>
    </message>
    <message>
        <source>Find a building, road, place, camera, unit or incident by name or id; Enter flies there</source>
        <translation>按名称或编号查找建筑、道路、地点、摄像头、车辆力量或事件；按回车飞到该处</translation>
    </message>
    <message>
        <source>Buildings</source>
        <translation>建筑</translation>
    </message>
    <message>
        <source>Roads</source>
        <translation>道路</translation>
    </message>
    <message>
        <source>Places</source>
        <translation>地点</translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>Vehicles and units</source>
        <translation>车辆与力量</translation>
    </message>
    <message>
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Nothing found</source>
        <translation>未找到</translation>
    </message>
</context>
<context>
    <name>SensorKind</name>
    <message>
        <source>River level</source>
        <translation>河道水位</translation>
    </message>
    <message>
        <source>Air quality</source>
        <translation>空气质量</translation>
    </message>
    <message>
        <source>Noise</source>
        <translation>噪声</translation>
    </message>
    <message>
        <source>Rainfall</source>
        <translation>降雨量</translation>
    </message>
    <message>
        <source>Water level</source>
        <translation>水位</translation>
    </message>
</context>
<context>
    <name>SensorStatus</name>
    <message>
        <source>OK</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>预警</translation>
    </message>
    <message>
        <source>Alarm</source>
        <translation>报警</translation>
    </message>
    <message>
        <source>Fault</source>
        <translation>故障</translation>
    </message>
</context>
<context>
    <name>BuildingAttribute</name>
    <message>
        <source>Height</source>
        <translation>高度</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>LoD</source>
        <translation>细节层次</translation>
    </message>
    <message>
        <source>Floors</source>
        <translation>楼层数</translation>
    </message>
    <message>
        <source>Population</source>
        <translation>人口</translation>
    </message>
    <message>
        <source>Residents</source>
        <translation>居民数</translation>
    </message>
    <message>
        <source>Use</source>
        <translation>用途</translation>
    </message>
    <message>
        <source>Function</source>
        <translation>功能</translation>
    </message>
    <message>
        <source>District</source>
        <translation>所属区</translation>
    </message>
    <message>
        <source>District code</source>
        <translation>区划代码</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>English name</source>
        <translation>英文名称</translation>
    </message>
    <message>
        <source>Building type</source>
        <translation>建筑类型</translation>
    </message>
    <message>
        <source>Measured height</source>
        <translation>实测高度</translation>
    </message>
    <message>
        <source>Roof type</source>
        <translation>屋顶类型</translation>
    </message>
    <message>
        <source>Year built</source>
        <translation>建成年份</translation>
    </message>
</context>
<context>
    <name>BuildingValue</name>
    <message>
        <source>Residential</source>
        <translation>住宅</translation>
    </message>
    <message>
        <source>Commercial</source>
        <translation>商业</translation>
    </message>
    <message>
        <source>Industrial</source>
        <translation>工业</translation>
    </message>
    <message>
        <source>Public</source>
        <translation>公共设施</translation>
    </message>
    <message>
        <source>Office</source>
        <translation>办公</translation>
    </message>
    <message>
        <source>Retail</source>
        <translation>零售</translation>
    </message>
    <message>
        <source>Mixed use</source>
        <translation>混合用途</translation>
    </message>
    <message>
        <source>School</source>
        <translation>学校</translation>
    </message>
    <message>
        <source>Hospital</source>
        <translation>医院</translation>
    </message>
    <message>
        <source>Building</source>
        <translation>建筑</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>其他</translation>
    </message>
    <message>
        <source>Building part</source>
        <translation>建筑部件</translation>
    </message>
</context>
<context>
    <name>Order</name>
    <message>
        <source>Create</source>
        <translation>新建</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>受理</translation>
    </message>
    <message>
        <source>Dispatch</source>
        <translation>派单</translation>
    </message>
    <message>
        <source>Unit status</source>
        <translation>力量状态</translation>
    </message>
    <message>
        <source>Comment</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Resolve</source>
        <translation>处置完成</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>结案</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Alarm action</source>
        <translation>告警操作</translation>
    </message>
</context>
<context>
    <name>Role</name>
    <message>
        <source>operator</source>
        <translation>值班员</translation>
    </message>
    <message>
        <source>duty officer</source>
        <translation>值班领导</translation>
    </message>
    <message>
        <source>shift leader</source>
        <translation>带班领导</translation>
    </message>
</context>
<context>
    <name>Severity</name>
    <message>
        <source>Low</source>
        <translation>一般</translation>
    </message>
    <message>
        <source>Medium</source>
        <translation>较重</translation>
    </message>
    <message>
        <source>High</source>
        <translation>严重</translation>
    </message>
    <message>
        <source>Critical</source>
        <translation>特别严重</translation>
    </message>
</context>
<context>
    <name>StatusStrip</name>
    <message>
        <source>Live · {0} msgs/s</source>
        <translation>实时 · {0} 条/秒</translation>
    </message>
    <message>
        <source>Feed silent · {0} msgs/s</source>
        <translation>数据中断 · {0} 条/秒</translation>
    </message>
    <message>
        <source>No feed</source>
        <translation>无数据接入</translation>
    </message>
    <message>
        <source>Feed broker down</source>
        <translation>数据接入代理不可用</translation>
    </message>
    <message>
        <source>feed thread restarted {0}×</source>
        <translation>接入线程已重启 {0} 次</translation>
    </message>
</context>
<context>
    <name>TimelineBar</name>
    <message>
        <source>◀| Event</source>
        <extracomment>Mark colours by urgency rank (0 critical … 3 low), as the alarm desk colours priorities.</extracomment>
        <translation>◀| 事件</translation>
    </message>
    <message>
        <source>Previous alarm or incident</source>
        <translation>上一个告警或事件</translation>
    </message>
    <message>
        <source>Slower, then backwards (−64× … 64×)</source>
        <translation>减速，再倒放（−64× … 64×）</translation>
    </message>
    <message>
        <source>Faster (up to 64×)</source>
        <translation>加速（最高 64×）</translation>
    </message>
    <message>
        <source>Event |▶</source>
        <translation>事件 |▶</translation>
    </message>
    <message>
        <source>Next alarm or incident</source>
        <translation>下一个告警或事件</translation>
    </message>
    <message>
        <source>Live (End)</source>
        <translation>实时（End）</translation>
    </message>
    <message>
        <source>LIVE</source>
        <translation>实时</translation>
    </message>
    <message>
        <source>REPLAY {0}</source>
        <translation>回放 {0}</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
</context>
<context>
    <name>VideoGridPanel</name>
    <message>
        <source>Video</source>
        <translation>视频</translation>
    </message>
    <message>
        <source>Show {0} tiles</source>
        <translation>显示 {0} 宫格</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <source>Close every camera</source>
        <translation>关闭全部摄像头</translation>
    </message>
    <message>
        <source>{0} · {1}</source>
        <translation>{0} · {1}</translation>
    </message>
    <message>
        <source>Camera registry not available: {0}</source>
        <translation>摄像头台账不可用：{0}</translation>
    </message>
    <message>
        <source>This site has no camera registry</source>
        <translation>本站点没有摄像头台账</translation>
    </message>
    <message>
        <source>Unknown camera(s): {0}</source>
        <translation>未知摄像头：{0}</translation>
    </message>
    <message>
        <source>Cameras around</source>
        <translation>周边摄像头</translation>
    </message>
    <message>
        <source>Snapshot saved: {0}</source>
        <translation>截图已保存：{0}</translation>
    </message>
</context>
<context>
    <name>VideoTile</name>
    <message>
        <source>no picture to save yet</source>
        <extracomment>While the clock is in the past: the recorded video to show (None: no recording).</extracomment>
        <translation>暂无可保存的画面</translation>
    </message>
    <message>
        <source>no recording of this camera at this time</source>
        <translation>此时段该摄像机没有录像</translation>
    </message>
    <message>
        <source>no stream URL for this camera</source>
        <translation>该摄像头没有视频流地址</translation>
    </message>
    <message>
        <source>not a playable stream</source>
        <translation>无法播放的视频流</translation>
    </message>
    <message>
        <source>stream ended</source>
        <translation>视频流已结束</translation>
    </message>
    <message>
        <source>RECORDED</source>
        <translation>录像</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>CONNECTING</source>
        <translation>连接中</translation>
    </message>
    <message>
        <source>LIVE</source>
        <translation>实时</translation>
    </message>
    <message>
        <source>STALLED</source>
        <translation>卡顿</translation>
    </message>
    <message>
        <source>ERROR</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>{0:.1f} s</source>
        <translation>{0:.1f} 秒</translation>
    </message>
    <message>
        <source>{0:.0f} s ago</source>
        <translation>{0:.0f} 秒前</translation>
    </message>
    <message>
        <source>No camera</source>
        <translation>无摄像头</translation>
    </message>
    <message>
        <source>MAIN</source>
        <translation>主码流</translation>
    </message>
    <message>
        <source>SUB</source>
        <translation>子码流</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>No picture</source>
        <translation>无画面</translation>
    </message>
    <message>
        <source>retrying in {0:.0f} s</source>
        <translation>{0:.0f} 秒后重试</translation>
    </message>
    <message>
        <source>stream not reachable</source>
        <translation>视频流无法访问</translation>
    </message>
    <message>
        <source>unsupported stream format</source>
        <translation>不支持的视频流格式</translation>
    </message>
    <message>
        <source>network error</source>
        <translation>网络错误</translation>
    </message>
    <message>
        <source>access to the stream denied</source>
        <translation>无权访问视频流</translation>
    </message>
    <message>
        <source>video error</source>
        <translation>视频错误</translation>
    </message>
    <message>
        <source>stream stalled</source>
        <translation>视频流中断</translation>
    </message>
    <message>
        <source>no picture after {0} s</source>
        <translation>{0} 秒后仍无画面</translation>
    </message>
    <message>
        <source>Save snapshot (PNG)</source>
        <translation>保存截图（PNG）</translation>
    </message>
    <message>
        <source>Reconnect</source>
        <translation>重新连接</translation>
    </message>
    <message>
        <source>Remove camera</source>
        <translation>移除摄像头</translation>
    </message>
</context>
<context>
    <name>WallBanner</name>
    <message>
        <source>Hide</source>
        <translation>隐藏</translation>
    </message>
</context>
<context>
    <name>WallManager</name>
    <message>
        <source>Presets</source>
        <extracomment>Read from this far or more, a layout is a wall: panels drop desk-only controls (``set_wall_density``).</extracomment>
        <translation>预案</translation>
    </message>
    <message>
        <source>Monitors missing: {0}. The layout &apos;{1}&apos; wants {2} screens; {3} found.</source>
        <translation>缺少显示器：{0}。布局“{1}”需要 {2} 块屏幕，实际找到 {3} 块。</translation>
    </message>
    <message>
        <source>Monitor {0} ({1}) not found; showing it on screen {2}.</source>
        <translation>未找到显示器 {0}（{1}），改在屏幕 {2} 上显示。</translation>
    </message>
    <message>
        <source>Region &apos;{0}&apos; shrunk to the monitors present (without {1}).</source>
        <translation>区域“{0}”已缩小到现有显示器（不含 {1}）。</translation>
    </message>
    <message>
        <source>Panels moved: {0}.</source>
        <translation>已移动的面板：{0}。</translation>
    </message>
    <message>
        <source>No screen for: {0}.</source>
        <translation>没有屏幕可显示：{0}。</translation>
    </message>
    <message>
        <source>Panel &apos;{0}&apos; failed to start: {1}</source>
        <translation>面板“{0}”启动失败：{1}</translation>
    </message>
</context>
<context>
    <name>WallWindow</name>
    <message>
        <source>Wall: {0}</source>
        <translation>大屏：{0}</translation>
    </message>
</context>
<context>
    <name>GatewayLink</name>
    <message>
        <source>the gateway at {endpoint} refuses this desk&apos;s key (ZAP status {status}): its public key is not among the site&apos;s [[dispatch.users]]; send it to the site administrator</source>
        <translation>位于 {endpoint} 的网关拒绝了本坐席的密钥（ZAP 状态 {status}）：其公钥不在站点的 [[dispatch.users]] 中；请将公钥发给站点管理员</translation>
    </message>
    <message>
        <source>the security handshake with the gateway at {endpoint} fails: the gateway requires CURVE keys and this desk talks plain text (set [dispatch] server_public_key and client_secret_key in the desk&apos;s site file)</source>
        <translation>与 {endpoint} 网关的安全握手失败：网关要求 CURVE 密钥，而本坐席使用明文（请在坐席的站点文件中设置 [dispatch] server_public_key 和 client_secret_key）</translation>
    </message>
    <message>
        <source>the security handshake with the gateway at {endpoint} fails: this desk uses CURVE keys but the gateway runs without them (no server_secret_key)</source>
        <translation>与 {endpoint} 网关的安全握手失败：本坐席使用 CURVE 密钥，但网关未启用（没有 server_secret_key）</translation>
    </message>
    <message>
        <source>the security handshake with the gateway at {endpoint} fails: [dispatch] server_public_key ({key}) is probably not this gateway&apos;s key</source>
        <translation>与 {endpoint} 网关的安全握手失败：[dispatch] server_public_key（{key}）可能不是该网关的公钥</translation>
    </message>
    <message>
        <source>the security handshake with the gateway at {endpoint} fails (ZMTP protocol error {error}): is it a controlroom gateway of the same version?</source>
        <translation>与 {endpoint} 网关的安全握手失败（ZMTP 协议错误 {error}）：对方是否为同一版本的 controlroom 网关？</translation>
    </message>
    <message>
        <source>no answer from the gateway at {endpoint} for {seconds} s: it accepted the connection but does not answer (overloaded or stuck?)</source>
        <translation>{seconds} 秒内未收到 {endpoint} 网关的应答：连接已建立但没有应答（过载或卡住？）</translation>
    </message>
    <message>
        <source>no answer from the gateway at {endpoint} for {seconds} s: the connection was lost and it does not come back (gateway down or unreachable)</source>
        <translation>{seconds} 秒内未收到 {endpoint} 网关的应答：连接已断开且未恢复（网关停机或不可达）</translation>
    </message>
    <message>
        <source>no answer from the gateway at {endpoint} for {seconds} s: nothing completes a connection there (gateway down, wrong [dispatch] endpoint, or it refuses this desk&apos;s key: check [dispatch] server_public_key and the desk&apos;s client key)</source>
        <translation>{seconds} 秒内未收到 {endpoint} 网关的应答：无法建立连接（网关停机、[dispatch] endpoint 配置错误，或网关拒绝本坐席的密钥：请检查 [dispatch] server_public_key 和坐席的客户端密钥）</translation>
    </message>
</context>
</TS>
